// The store contract on a real PostgreSQL (the throwaway cluster scripts/test starts), plus what only
// PostgreSQL has: concurrent migrations under the advisory lock, and a clear error when it is unreachable.
import { afterAll, describe, expect, test } from 'bun:test';
import { SQL } from 'bun';
import { createPgDatabase, PG_URL } from './helpers/db.ts';
import { openPostgres, type PostgresStore } from '../src/store/postgres.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { silentLogger } from '../src/log.ts';
import { StoreUnavailableError } from '../src/store/store.ts';
import { client, family, NOW, refresh, storeContract, user } from './store.contract.ts';

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

    test('two instances rotating the same tokens in one turn each: one winner per token', async () => {
      const db = await createPgDatabase();
      drops.push(db.drop);
      const [a, b] = await Promise.all([1, 2].map(() => openPostgres(db.url, { poolSize: 2, connectTimeoutS: 5, log: silentLogger })));
      await a!.migrate();
      await a!.clients.insert(client());
      await a!.users.insert(user());
      const ids = Array.from({ length: 30 }, (_, i) => `d${i}`);
      for (const id of ids) await a!.refresh.insertFamily({ ...family(`f-${id}`), liveTokenId: id }, refresh(id, `f-${id}`));
      const rotate = (s: PostgresStore, who: string, order: string[]) =>
        Promise.all(order.map(async (id) => [id, await s.refresh.rotate(id, NOW, refresh(`${id}-${who}`, `f-${id}`), NOW + 2000)] as const));
      const results = (await Promise.all([rotate(a!, 'a', ids), rotate(b!, 'b', [...ids].reverse())])).flat();
      for (const id of ids) {
        expect(results.filter(([x, ok]) => x === id && ok).length).toBe(1);
        const live = (await a!.refresh.getFamily(`f-${id}`))!.liveTokenId!;
        expect([`${id}-a`, `${id}-b`]).toContain(live);
        expect(await a!.refresh.get(live === `${id}-a` ? `${id}-b` : `${id}-a`)).toBeNull();
      }
      await Promise.all([a!.close(), b!.close()]);
    });

    test('the rotations of a turn refused by a deadlock (40P01) are decided one by one, and all rotate', async () => {
      const db = await createPgDatabase();
      drops.push(db.drop);
      const s = await openPostgres(db.url, { poolSize: 2, connectTimeoutS: 5, log: silentLogger });
      await s.migrate();
      await s.clients.insert(client());
      await s.users.insert(user());
      const ids = Array.from({ length: 10 }, (_, i) => `k${i}`);
      for (const id of ids) await s.refresh.insertFamily({ ...family(`f-${id}`), liveTokenId: id }, refresh(id, `f-${id}`));
      // Another transaction holds k9; the batch locks k0…k8 and waits for it; that transaction then waits
      // for k0. The batch waited first, so its deadlock check runs first and PostgreSQL refuses it.
      const other = new SQL(db.url, { max: 1 });
      const held = await other.reserve();
      await held.unsafe('BEGIN');
      await held.unsafe("UPDATE refresh_tokens SET hash = hash WHERE id = 'k9'");
      const rotations = Promise.all(ids.map((id) => s.refresh.rotate(id, NOW, refresh(`${id}-next`, `f-${id}`), NOW + 2000)));
      await Bun.sleep(300);
      await held.unsafe("UPDATE refresh_tokens SET hash = hash WHERE id = 'k0'"); // returns once the batch is refused
      await held.unsafe('COMMIT');
      held.release();
      expect(await rotations).toEqual(ids.map(() => true));
      for (const id of ids) expect((await s.refresh.getFamily(`f-${id}`))!.liveTokenId).toBe(`${id}-next`);
      await other.close();
      await s.close();
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
