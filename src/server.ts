// Running the server: listen (reusePort: false, so a port in use is an error), open and migrate the store,
// load keys, then serve the routes; seed, log one line per request, sweep expired rows, and stop gracefully.
import type { Server } from 'bun';
import { createApp } from './app.ts';
import { systemClock, nowS, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Deps } from './domain/deps.ts';
import { ensureSeeds } from './seed.ts';
import { buildDeps } from './deps.ts';
import { LISTENER_BODY_CEILING } from './http/serve.ts';
import type { Logger } from './log.ts';
import { openStore } from './store/open.ts';
import { startMaintenance } from './store/maintenance.ts';
import type { Store } from './store/store.ts';
import { VERSION } from './version.ts';

export interface RunningServer {
  url: string;
  port: number;
  deps: Deps;
  /** Resolves when first-start seeding (the initial admin) is done; the server does not wait for it. */
  seeded: Promise<unknown>;
  /** Stop accepting, let in-flight requests finish up to `timeoutS`, then close the store. */
  stop(timeoutS?: number): Promise<void>;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/**
 * Build the dependencies: store (migrated), keys, limiters, upstream providers. `deferIdKey` (the server): on a
 * fresh database the first RS256 key is generated after this returns (KeyRing.load).
 */
export async function createDeps(config: Config, log: Logger, opts: { clock?: Clock; store?: Store; deferIdKey?: boolean } = {}): Promise<Deps> {
  const clock = opts.clock ?? systemClock;
  const store = opts.store ?? (await openStore(config, log));
  const applied = await store.migrate();
  if (applied.length) log.info('migrations applied', { versions: applied });
  const deps = buildDeps(config, log, clock, store);
  await deps.keys.load(config.signingAlg, { deferIdKey: opts.deferIdKey });
  deps.keys.idKeyPending?.catch((e) => log.error('generating the ID-token signing key failed; retried within 30 s', { error: String(e) }));
  return deps;
}

/** Until the store is open and the routes are built, every request is told to come back. */
const STARTING = () =>
  new Response('{"error":"temporarily_unavailable","error_description":"the server is starting"}', {
    status: 503,
    headers: { 'Content-Type': 'application/json', 'Retry-After': '1' },
  });

/**
 * Bind the port first: a port in use is an error before the store is opened, and with PORT=0 the port
 * the system chose is known before anything depends on the issuer. (reusePort: false, so a port in use
 * is an error, not a silent second server.)
 */
function listen(config: Config): Server<undefined> {
  try {
    return Bun.serve({
      port: config.port,
      hostname: config.host,
      reusePort: false,
      idleTimeout: 30, // seconds: slow or idle clients are cut off
      maxRequestBodySize: LISTENER_BODY_CEILING,
      development: false,
      fetch: STARTING,
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE' || /in use|EADDRINUSE/i.test(String(e))) throw new PortInUseError(`port ${config.port} on ${config.host} is already in use`);
    throw e;
  }
}

/**
 * With PORT=0, the port listened on; a BASE_URL naming port 0 (the default then) names that port instead,
 * and so does DEFAULT_AUDIENCE when it was the issuer.
 */
function withListeningPort(config: Config, port: number): Config {
  if (config.port !== 0) return config;
  const base = new URL(config.baseUrl);
  if (base.port === '0') base.port = String(port);
  const defaultAudience = config.defaultAudience === config.baseUrl ? base.origin : config.defaultAudience;
  return Object.freeze({ ...config, port, baseUrl: base.origin, defaultAudience });
}

export async function startServer(config: Config, log: Logger, opts: { clock?: Clock; store?: Store } = {}): Promise<RunningServer> {
  const server = listen(config);
  config = withListeningPort(config, server.port ?? config.port);
  let deps: Deps;
  try {
    // A fresh database's RSA key (~55 ms) is made while the server already answers: start-up waits for none.
    deps = await createDeps(config, log, { ...opts, deferIdKey: true });
  } catch (e) {
    server.stop(true);
    throw e;
  }
  const { app, fixed, servedBy } = createApp(deps);
  // The client's address comes from the listening server; the app's handler is composed once, before the
  // first request (Elysia's `fetch` getter compiles on first use).
  servedBy(server);
  const fetch = app.fetch;
  const inflight = new Set<Promise<unknown>>();
  // A stop during a fresh start waits for the RS256 key's generation to be stored before the store closes.
  const idKey = deps.keys.idKeyPending;
  if (idKey) inflight.add(idKey.catch(() => {}));
  server.reload({
    routes: fixed,
    fetch,
    error(e) {
      log.error('server error', { error: String(e) });
      return new Response('{"error":"server_error"}', { status: 500, headers: { 'Content-Type': 'application/json' } });
    },
  } as Parameters<typeof server.reload>[0]);

  const timers: Timer[] = [];
  const sweep = async () => {
    const now = nowS(deps.clock);
    const p = deps.store.sweep(now, now - config.clientIdleTtl, now - config.auditRetention).then(
      (r) => {
        const { batches = 0, maxBatchMs = 0, maxBatchKind, ...counts } = r;
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        deps.metrics.sweep(maxBatchMs / 1000);
        if (total) log.info('sweep', { ...counts, batches, max_batch_ms: maxBatchMs, max_batch_kind: maxBatchKind });
      },
      (e) => log.warn('sweep failed', { error: String(e) }),
    );
    inflight.add(p);
    await p;
    inflight.delete(p);
  };
  timers.push(setInterval(sweep, config.sweepInterval * 1000));
  timers.push(setInterval(() => void deps.audit.flush(), 1000));
  // Store latency for /metrics: a timed ping every 5 s.
  timers.push(
    setInterval(() => {
      const t0 = performance.now();
      deps.store.ping().then(
        () => deps.metrics.storePing((performance.now() - t0) / 1000, true),
        () => deps.metrics.storePing(0, false),
      );
    }, 5000),
  );
  // Other instances may rotate keys: reload them now and then (cheap when nothing changed).
  timers.push(setInterval(() => deps.keys.load(config.signingAlg).catch((e) => log.warn('key reload failed', { error: String(e) })), 30_000));
  // Background upkeep of the store (SQLite: WAL checkpoints off the request path).
  const maintenance = startMaintenance(deps.store, log);
  void sweep();
  // The first admin's argon2id hash costs ~100 ms: done after listening, so start-up is not held up.
  const port = server.port ?? config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info('listening', { url, issuer: config.baseUrl, version: VERSION, database: deps.store.kind });
  const seeding = ensureSeeds(deps).then(
    (passwordFile) => log.info(nextSteps(config.baseUrl, passwordFile)),
    (e) => log.error('seeding failed', { error: String(e) }),
  );
  inflight.add(seeding);

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    deps,
    seeded: seeding,
    stop(timeoutS = config.shutdownTimeout) {
      stopping ??= (async () => {
        for (const t of timers) clearInterval(t);
        const t0 = performance.now();
        const graceful = server.stop(false);
        let timedOut = false;
        await Promise.race([
          graceful,
          new Promise<void>((r) =>
            setTimeout(() => {
              timedOut = true;
              r();
            }, timeoutS * 1000),
          ),
        ]);
        if (timedOut) {
          log.warn('shutdown timeout: closing remaining connections', { timeout_s: timeoutS });
          await server.stop(true);
        }
        await Promise.allSettled([...inflight]);
        await deps.audit.flush().catch(() => {});
        maintenance.stop();
        await deps.store.close();
        log.info('stopped', { after_ms: Math.round(performance.now() - t0) });
      })();
      return stopping;
    },
  };
}

/** The one line after "listening" that says what to do next. */
function nextSteps(issuer: string, passwordFile: string | null): string {
  const admin = passwordFile ? `sign in as admin with the password in ${passwordFile}` : 'sign in';
  return `next: open ${issuer}/admin and ${admin}; from a terminal: auth login ${issuer}`;
}
