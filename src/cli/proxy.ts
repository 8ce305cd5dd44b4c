// `auth proxy --upstream URL [--resource URL] [--scope S]… [--port P] [--host H] [--issuer URL] [--name N]`
// An OAuth gate in front of an MCP (or any HTTP) server — see src/proxy/gate.ts.
import { createLogger } from '../log.ts';
import { createGate } from '../proxy/gate.ts';
import { randomId } from '../security/random.ts';
import { parse, UsageError } from './args.ts';
import { commandConfig } from './env.ts';

function absoluteUrl(v: string, flag: string): string {
  try {
    const u = new URL(v);
    if (u.protocol === 'http:' || u.protocol === 'https:') return v.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw new UsageError(`${flag} must be an absolute http(s) URL`);
}

export async function proxyCommand(args: string[]): Promise<number> {
  const { values } = parse(args, 'proxy');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
  const config = await commandConfig();
  const log = createLogger(config.logLevel, config.logFormat);
  const issuer = absoluteUrl(values.issuer ?? config.baseUrl, '--issuer');
  const upstream = absoluteUrl(values.upstream!, '--upstream');
  let resource = values.resource ? absoluteUrl(values.resource, '--resource') : '';
  const scopes = (values.scope ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean);

  const dpop = { require: !!values['require-dpop'], nonce: !!values['dpop-nonce'] };
  let exchange: { audience: string; clientId: string; clientSecret: string } | undefined;
  if (values['exchange-to']) {
    const secret = process.env.AUTH_PROXY_CLIENT_SECRET;
    if (!values['client-id'] || !secret) throw new UsageError('--exchange-to needs --client-id and the client secret in AUTH_PROXY_CLIENT_SECRET');
    absoluteUrl(values['exchange-to'], '--exchange-to');
    // As given, trailing slash included: it must equal one of the client's exchange audiences.
    exchange = { audience: values['exchange-to'], clientId: values['client-id'], clientSecret: secret };
  } else if (values['client-id']) throw new UsageError('--client-id goes with --exchange-to');
  let gate: ReturnType<typeof createGate> | null = resource
    ? createGate({ upstream, resource, issuer, scopes, resourceName: values.name, exchange, dpop })
    : null;
  const server = Bun.serve({
    port,
    hostname: values.host,
    reusePort: false,
    idleTimeout: 255, // long enough for SSE streams between events
    async fetch(req) {
      const t0 = performance.now();
      const res = await gate!.fetch(req);
      const url = new URL(req.url);
      log.info('proxy', {
        method: req.method,
        path: url.pathname,
        status: res.status,
        duration_ms: Math.round((performance.now() - t0) * 100) / 100,
        request_id: randomId(12),
      });
      return res;
    },
  });
  if (!gate) {
    // Default resource: this proxy's own URL as clients reach it.
    resource = `http://localhost:${server.port}`;
    gate = createGate({ upstream, resource, issuer, scopes, resourceName: values.name, exchange, dpop });
  }
  log.info('proxy listening', { url: `http://${values.host}:${server.port}`, upstream, resource, issuer, scopes, metadata: gate.prmPath });
  return new Promise<number>((resolve) => {
    let stopping = false;
    // Stop accepting; end the long-lived event streams cleanly (they would never finish by themselves);
    // let other requests finish until SHUTDOWN_TIMEOUT, then close whatever is left.
    const stop = async () => {
      if (stopping) process.exit(1);
      stopping = true;
      const t0 = performance.now();
      const graceful = server.stop(false);
      const streams = gate!.endStreams();
      let timedOut = false;
      await Promise.race([graceful, Bun.sleep(config.shutdownTimeout * 1000).then(() => (timedOut = true))]);
      if (timedOut) {
        log.warn('shutdown timeout: closing remaining connections', { timeout_s: config.shutdownTimeout });
        gate!.endAll();
        await server.stop(true);
      }
      log.info('proxy stopped', { after_ms: Math.round(performance.now() - t0), streams_ended: streams });
      resolve(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
