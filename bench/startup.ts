// Start-up to first /health 200, idle RSS and binary size of dist/auth (issue 2 targets: ≤ 100 ms, ≤ 60 MiB).
//   bun bench/startup.ts [runs=15]  → prints a Markdown section (also used by bench/run.ts)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dir, '../dist/auth');

function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const p = s.port!;
  s.stop(true);
  return p;
}

function rssMiB(pid: number): number {
  const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string;
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** One cold start on a fresh data directory: ms until /health answers 200, and RSS once idle. */
export async function startOnce(fresh = true): Promise<{ ms: number; rss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-bench-'));
  const port = freePort();
  const t0 = performance.now();
  const proc = Bun.spawn([BIN, 'server'], {
    env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', PATH: process.env.PATH ?? '' },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  let ms = -1;
  for (let i = 0; i < 2000; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.status === 200) {
        ms = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    await Bun.sleep(2);
  }
  await Bun.sleep(1000); // idle
  const rss = rssMiB(proc.pid);
  proc.kill('SIGTERM');
  await proc.exited;
  if (fresh) rmSync(dir, { recursive: true, force: true });
  return { ms, rss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function startupSection(runs = 15): Promise<string> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await startOnce());
  const ms = results.map((r) => r.ms);
  const rss = results.map((r) => r.rss);
  const size = statSync(BIN).size / 1024 / 1024;
  return [
    `| measure | median | min–max | target |`,
    `|---|---:|---:|---:|`,
    `| start-up to first /health 200 (fresh database, migrations, first key and admin) | ${median(ms).toFixed(0)} ms | ${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} ms | ≤ 100 ms |`,
    `| idle RSS 1 s after start | ${median(rss).toFixed(1)} MiB | ${Math.min(...rss).toFixed(1)}–${Math.max(...rss).toFixed(1)} MiB | ≤ 60 MiB |`,
    `| binary size (dist/auth) | ${size.toFixed(1)} MiB | | |`,
    '',
    `${runs} runs, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, bun ${Bun.version}.`,
  ].join('\n');
}

if (import.meta.main) console.log(await startupSection(Number(process.argv[2] ?? 15)));
