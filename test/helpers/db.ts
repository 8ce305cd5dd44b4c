// Test databases. With AUTH_TEST_STORE=postgres (set by scripts/test for its second pass) every test
// server gets a fresh database on the throwaway cluster named by AUTH_TEST_PG_URL; otherwise a SQLite file.
import { SQL } from 'bun';
import { randomBytes } from 'node:crypto';
import type { Store } from '../../src/store/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { PostgresStore } from '../../src/store/postgres.ts';

export const PG_URL = process.env.AUTH_TEST_PG_URL;
export const ON_POSTGRES = process.env.AUTH_TEST_STORE === 'postgres';
if (ON_POSTGRES && !PG_URL) throw new Error('AUTH_TEST_STORE=postgres needs AUTH_TEST_PG_URL (scripts/test starts a cluster)');

/** A new, empty database on the test cluster; returns its URL and a function that drops it. */
export async function createPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `auth_test_${randomBytes(6).toString('hex')}`;
  const admin = new SQL(PG_URL!, { max: 1 });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.close();
  const u = new URL(PG_URL!);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new SQL(PG_URL!, { max: 1 });
      await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await a.close();
    },
  };
}

/** Run a query with `?` placeholders on either store (tests that look at stored rows). */
export async function rawQuery(store: Store, sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]> {
  if (store instanceof SqliteStore) return store.db.query(sql).all(...(params as never[])) as Record<string, unknown>[];
  if (store instanceof PostgresStore) {
    let i = 0;
    return (await store.sql.unsafe(
      sql.replace(/\?/g, () => `$${++i}`),
      params,
    )) as Record<string, unknown>[];
  }
  throw new Error('unknown store');
}
