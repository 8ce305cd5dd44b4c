// The store contract on SQLite files (WAL), plus SQLite-specific checks.
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { openSqlite, SqliteStore } from '../src/store/sqlite.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { tempDir } from './helpers/server.ts';
import { storeContract } from './store.contract.ts';

storeContract(
  'sqlite',
  async () => openSqlite(join(tempDir(), 'auth.db')),
  async (s, sql) => {
    (s as SqliteStore).db.exec(sql);
  },
);

test('sqlite opens with WAL, foreign keys and a busy timeout', () => {
  const s = openSqlite(join(tempDir(), 'x.db'));
  expect((s.db.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
  expect((s.db.query('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys).toBe(1);
  expect((s.db.query('PRAGMA busy_timeout').get() as { timeout: number }).timeout).toBe(5000);
  s.db.close();
});

test('two processes migrating one database at once apply each migration once', async () => {
  const path = join(tempDir(), 'race.db');
  const script = `import { openSqlite } from '${join(import.meta.dir, '../src/store/sqlite.ts')}'; const s = openSqlite(process.argv.at(-1)); console.log(JSON.stringify(await s.migrate())); await s.close();`;
  const run = () => Bun.spawn([process.execPath, '-e', script, path], { stdout: 'pipe' });
  const procs = [run(), run(), run()];
  const outs = await Promise.all(procs.map((p) => new Response(p.stdout).text()));
  const applied = outs.flatMap((o) => JSON.parse(o) as number[]);
  expect(applied.sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
});
