// Runs the compiled binary (dist/auth), building it first if it is missing.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dir, '../..');
export const BINARY = join(ROOT, 'dist/auth');

let built: Promise<void> | null = null;
export function ensureBinary(): Promise<void> {
  built ??= (async () => {
    if (existsSync(BINARY)) return;
    const p = Bun.spawn([process.execPath, 'run', 'build'], { cwd: ROOT, stdout: 'ignore', stderr: 'inherit' });
    if ((await p.exited) !== 0) throw new Error('build failed');
  })();
  return built;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `auth ARGS` with a clean environment (plus `env`) in `cwd`. */
export async function runAuth(args: string[], opts: { env?: Record<string, string>; cwd?: string; stdin?: string; bin?: string } = {}): Promise<RunResult> {
  await ensureBinary();
  const p = Bun.spawn([opts.bin ?? BINARY, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...opts.env },
    stdin: opts.stdin !== undefined ? new Blob([opts.stdin]) : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** Start `auth server` (or `auth ARGS`) as a process; `waitFor` resolves when a log line matches. */
export async function spawnServer(opts: { env: Record<string, string>; cwd: string; bin?: string; args?: string[] }) {
  await ensureBinary();
  const proc = Bun.spawn([opts.bin ?? BINARY, ...(opts.args ?? ['server'])], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LOG_FORMAT: 'json', ...opts.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const lines: string[] = [];
  const reader = proc.stderr.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let onLine = null as (() => void) | null;
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        onLine?.();
      }
    }
    onLine?.();
  })();
  const waitFor = (pred: (l: string) => boolean, timeoutMs = 10_000) =>
    new Promise<string>((resolveLine, reject) => {
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          onLine = null;
          resolveLine(hit);
        }
      };
      const t = setTimeout(() => reject(new Error(`timeout waiting for log line; got:\n${lines.join('\n')}`)), timeoutMs);
      onLine = () => {
        check();
        if (lines.some(pred)) clearTimeout(t);
      };
      check();
    });
  return { proc, lines, waitFor };
}

/**
 * `auth server` on PORT=0: it binds a free port itself (no bind/release race) and its "listening" line
 * says which; the issuer, unless BASE_URL is given, names that port.
 */
export async function spawnListening(opts: { env: Record<string, string>; cwd: string; bin?: string }) {
  const srv = await spawnServer({ ...opts, env: { HOST: '127.0.0.1', ...opts.env, PORT: '0' } });
  const line = await srv.waitFor((l) => l.includes('"listening"'));
  const url = (JSON.parse(line) as { url: string }).url;
  return { ...srv, url, port: Number(new URL(url).port) };
}

/**
 * `auth ARGS` on a pseudo-terminal (util-linux `script`), as a person at a terminal runs it: stdin, stdout
 * and stderr are the terminal. `type` writes to it; `output` is what it showed so far.
 */
export function onPty(args: string[], env: Record<string, string>, opts: { cwd?: string } = {}) {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const proc = Bun.spawn(['script', '-qefc', [BINARY, ...args].map(quote).join(' '), '/dev/null'], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'pipe',
  });
  let out = '';
  void (async () => {
    for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
  })();
  return {
    proc,
    output: () => out,
    type(text: string) {
      proc.stdin.write(text);
      proc.stdin.flush();
    },
    async waitFor(re: RegExp, ms = 10_000) {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > end || proc.exitCode !== null) throw new Error(`no match for ${re} in:\n${out}`);
        await Bun.sleep(20);
      }
    },
    async done() {
      const code = await proc.exited;
      await Bun.sleep(20);
      return { code, output: out };
    },
  };
}
