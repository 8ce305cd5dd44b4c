// startServer for tests: the real server on 127.0.0.1:0 with a real SQLite file in a temp directory,
// a controllable clock, and logs kept in memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClock } from './clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createPgDatabase, ON_POSTGRES } from './db.ts';

export interface TestServer extends RunningServer {
  /** Environment for `auth` commands that must reach the same store (DATA_DIR, BASE_URL, DATABASE_URL). */
  cliEnv: Record<string, string>;
  /** The issuer: http://127.0.0.1:<port> */
  base: string;
  clock: TestClock;
  dir: string;
  logs: string[];
  close(): Promise<void>;
}

// Every temporary directory a test asks for is removed after the last test (test/helpers/preload.ts; store
// contract runs and spawned commands open many — left behind, a full run put ~1 GB into /tmp).
const created: string[] = [];
export function removeTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function tempDir(prefix = 'auth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * A port that was free a moment ago (bound on port 0, then released). Only for what must name a port before
 * it starts and cannot listen on port 0 itself (`auth proxy --resource …:PORT/mcp`, a port-in-use test);
 * servers take PORT=0 and report the port they listen on.
 */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

export async function startTestServer(env: Record<string, string> = {}, opts: { liveClock?: boolean } = {}): Promise<TestServer> {
  const dir = tempDir();
  const pg = ON_POSTGRES && !env.DATABASE_URL ? await createPgDatabase() : null;
  const storeEnv: Record<string, string> = pg ? { DATABASE_URL: pg.url } : {};
  // Port 0: the server binds a free port itself and the issuer takes it (no bind/release race).
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', BASE_URL: 'http://127.0.0.1:0', DATA_DIR: dir, LOG_LEVEL: 'debug', ...storeEnv, ...env });
  const clock = new TestClock(opts.liveClock);
  const logs: string[] = [];
  const log = createLogger('debug', 'json', (l) => logs.push(l));
  const running = await startServer(config, log, { clock });
  await running.seeded; // deterministic: the initial admin exists before the test starts
  const base = running.deps.config.baseUrl;
  return {
    ...running,
    base,
    clock,
    dir,
    logs,
    cliEnv: { DATA_DIR: dir, BASE_URL: base, ...storeEnv, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) },
    async close() {
      await running.stop(1).catch(() => {});
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Wait until `check` returns something (at most `ms`). The request log line and metrics sample are written
 * after the response is sent (Elysia's onAfterResponse), so a test reads them a moment after its fetch.
 */
export async function eventually<T>(check: () => T | undefined | null | false, ms = 2000): Promise<T> {
  const until = performance.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (performance.now() > until) throw new Error('eventually: the condition did not hold in time');
    await Bun.sleep(5);
  }
}
