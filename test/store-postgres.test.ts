// The store contract on a real PostgreSQL (the throwaway cluster scripts/test starts), plus what only
// PostgreSQL has: concurrent migrations under the advisory lock, and a clear error when it is unreachable.
import { afterAll, describe, expect, test } from 'bun:test';
import { createPgDatabase, PG_URL } from './helpers/db.ts';
import { openPostgres, type PostgresStore } from '../src/store/postgres.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { silentLogger } from '../src/log.ts';
import { StoreUnavailableError } from '../src/store/store.ts';
import { storeContract } from './store.contract.ts';

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const d of drops) await d();
});

async function fresh(): Promise<PostgresStore> {
  const db = await createPgDatabase();
  drops.push(db.drop);
  return openPostgres(db.url, { poolSize: 5, connectTimeoutS: 5, log: silentLogger });
}

if (!PG_URL) {
  test.skip('PostgreSQL tests need AUTH_TEST_PG_URL (run ./scripts/test, which starts a cluster)', () => {});
} else {
  storeContract('postgres', fresh, async (s, sql) => {
    await (s as PostgresStore).sql.unsafe(sql);
  });

  describe('postgres specifics', () => {
    test('instances migrating one database at once apply each migration once (advisory lock)', async () => {
      const db = await createPgDatabase();
      drops.push(db.drop);
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgres(db.url, { poolSize: 2, connectTimeoutS: 5, log: silentLogger })));
      const applied = (await Promise.all(stores.map((s) => s.migrate()))).flat();
      expect(applied.sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
      for (const s of stores) await s.close();
    });

    test('an unreachable database: retries until DB_CONNECT_TIMEOUT, then an error naming the host', async () => {
      const t0 = performance.now();
      const err = await openPostgres('postgres://postgres@127.0.0.1:1/nowhere', { poolSize: 1, connectTimeoutS: 1, log: silentLogger }).catch((e) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toContain('127.0.0.1:1/nowhere');
      expect(performance.now() - t0).toBeGreaterThan(500);
    });

    test('BIGINT columns come back as numbers', async () => {
      const s = await fresh();
      await s.migrate();
      const c = await s.clients.get('auth-cli');
      expect(typeof c!.createdAt).toBe('number');
      await s.close();
    });
  });
}
