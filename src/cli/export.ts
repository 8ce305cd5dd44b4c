// `auth export [--output FILE]` and `auth import [--input FILE]`: JSON lines of clients, users, identities,
// signing keys and live refresh families with their live tokens, so a SQLite deployment can move to
// PostgreSQL (or back). The export holds secret material (hashes, private keys): --output writes it 0600.
import { chmodSync, closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { nowS } from '../clock.ts';
import { LATEST_VERSION } from '../store/migrations.ts';
import type { StoreDump } from '../store/store.ts';
import { CommandError, parse } from './args.ts';
import { commandDeps } from './env.ts';

const KINDS: Record<string, keyof StoreDump> = {
  client: 'clients',
  user: 'users',
  identity: 'identities',
  key: 'keys',
  refresh_family: 'families',
  refresh_token: 'refreshTokens',
};

export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parse(args, 'export');
  const { deps, close } = await commandDeps();
  try {
    const dump = await deps.store.dump(nowS(deps.clock));
    const lines = [
      JSON.stringify({
        type: 'header',
        format: 'auth-export',
        version: 1,
        schema: LATEST_VERSION,
        exported_at: new Date().toISOString(),
        from: deps.store.kind,
      }),
    ];
    for (const [type, key] of Object.entries(KINDS)) for (const row of dump[key]) lines.push(JSON.stringify({ type, data: row }));
    const text = `${lines.join('\n')}\n`;
    if (values.output) {
      // 0600 before the first byte is written, also when the file exists with a looser mode.
      closeSync(openSync(values.output, 'a', 0o600));
      chmodSync(values.output, 0o600);
      writeFileSync(values.output, text);
    } else process.stdout.write(text);
    const counts = Object.values(KINDS)
      .map((k) => `${dump[k].length} ${k}`)
      .join(', ');
    process.stderr.write(`exported ${counts}\n`);
    return 0;
  } finally {
    await close();
  }
}

export async function importCommand(args: string[]): Promise<number> {
  const { values } = parse(args, 'import');
  const text = values.input ? readFileSync(values.input, 'utf8') : await new Response(Bun.stdin.stream()).text();
  const lines = text.split('\n').filter((l) => l.trim());
  const header = (() => {
    try {
      return JSON.parse(lines[0] ?? '') as { type?: string; format?: string; schema?: number };
    } catch {
      return null;
    }
  })();
  if (header?.type !== 'header' || header.format !== 'auth-export') throw new CommandError('not an auth export (the first line must be its header)');
  if ((header.schema ?? 0) > LATEST_VERSION)
    throw new CommandError(`the export comes from a newer schema (${header.schema}) than this binary knows (${LATEST_VERSION})`);
  const dump: StoreDump = { clients: [], users: [], identities: [], keys: [], families: [], refreshTokens: [] };
  lines.slice(1).forEach((line, i) => {
    let rec: { type?: string; data?: unknown };
    try {
      rec = JSON.parse(line);
    } catch {
      throw new CommandError(`line ${i + 2} is not JSON`);
    }
    const key = rec.type ? KINDS[rec.type] : undefined;
    if (!key || !rec.data || typeof rec.data !== 'object') throw new CommandError(`line ${i + 2}: unknown record type ${String(rec.type)}`);
    (dump[key] as unknown[]).push(rec.data);
  });
  const { deps, close } = await commandDeps();
  try {
    const counts = await deps.store.restore(dump);
    const summary = Object.entries(counts)
      .map(([k, n]) => `${n}/${dump[k as keyof StoreDump].length} ${k}`)
      .join(', ');
    process.stderr.write(`imported ${summary} (rows that already existed were kept)\n`);
    return 0;
  } finally {
    await close();
  }
}
