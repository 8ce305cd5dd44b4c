// The store contract on SQLite files (WAL), plus SQLite-specific checks.
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY, type CheckpointPolicy } from '../src/store/checkpointer.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { openStore } from '../src/store/open.ts';
import { openSqlite, type SqliteStore } from '../src/store/sqlite/store.ts';
import { MIGRATIONS } from '../src/store/migrations.ts';
import { Q } from '../src/store/statements.ts';
import { BATCH_TARGET_MS, type BatchRunner, FIRST_BATCH, SWEEP_BATCH, sweepInBatches } from '../src/store/sweep.ts';
import { auditId } from '../src/domain/audit.ts';
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

test('every foreign key column leads an index (a cascading delete never scans the child table)', async () => {
  const s = openSqlite(':memory:');
  await s.migrate();
  const unindexed: string[] = [];
  for (const { name } of s.db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
    const leading = (s.db.query(`PRAGMA index_list(${name})`).all() as { name: string }[]).map(
      (i) => (s.db.query(`PRAGMA index_info(${i.name})`).all() as { seqno: number; name: string }[]).find((c) => c.seqno === 0)?.name,
    );
    for (const fk of s.db.query(`PRAGMA foreign_key_list(${name})`).all() as { from: string }[])
      if (!leading.includes(fk.from)) unindexed.push(`${name}.${fk.from}`);
  }
  expect(unindexed).toEqual([]);
  await s.close();
});

test('the page cache is SQLITE_CACHE_SIZE MiB: 8 by default, bounded', async () => {
  const cacheOf = (s: SqliteStore) => (s.db.query('PRAGMA cache_size').get() as { cache_size: number }).cache_size;
  const dflt = openSqlite(join(tempDir(), 'x.db'));
  expect(cacheOf(dflt)).toBe(-8 * 1024); // negative: KiB, not pages
  dflt.db.close();
  const dir = tempDir();
  const config = loadConfig({ DATA_DIR: dir, SQLITE_CACHE_SIZE: '32' });
  expect(config.sqliteCacheSize).toBe(32);
  const big = (await openStore(
    config,
    createLogger('error', 'json', () => {}),
  )) as SqliteStore;
  expect(cacheOf(big)).toBe(-32 * 1024);
  await big.close();
  expect(() => loadConfig({ DATA_DIR: dir, SQLITE_CACHE_SIZE: '0' })).toThrow(/SQLITE_CACHE_SIZE/);
  expect(() => loadConfig({ DATA_DIR: dir, SQLITE_CACHE_SIZE: 'lots' })).toThrow(/SQLITE_CACHE_SIZE/);
});

test('two processes migrating one database at once apply each migration once', async () => {
  const path = join(tempDir(), 'race.db');
  const script = `import { openSqlite } from '${join(import.meta.dir, '../src/store/sqlite/store.ts')}'; const s = openSqlite(process.argv.at(-1)); console.log(JSON.stringify(await s.migrate())); await s.close();`;
  const run = () => Bun.spawn([process.execPath, '-e', script, path], { stdout: 'pipe', stderr: 'pipe' });
  const procs = [run(), run(), run()];
  const outs = await Promise.all(
    procs.map(async (p) => ({ out: await new Response(p.stdout).text(), err: await new Response(p.stderr).text(), code: await p.exited })),
  );
  // A process that printed no list failed: its exit code and stderr say why.
  for (const o of outs) expect({ code: o.code, err: o.code === 0 ? '' : o.err }).toEqual({ code: 0, err: '' });
  const applied = outs.flatMap((o) => JSON.parse(o.out) as number[]);
  expect(applied.sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
});

// WAL checkpoints (src/store/checkpointer.ts): a worker on idle CPU time copies the WAL back after writes, an
// idle server gives the WAL file's space back, and past the hard limit the main thread restarts the WAL.
describe('WAL checkpoints', () => {
  const policy = (p: Partial<CheckpointPolicy>): CheckpointPolicy => ({ ...DEFAULT_CHECKPOINT_POLICY, tickMs: 20, ...p });
  async function setup(p: Partial<CheckpointPolicy>) {
    const path = join(tempDir(), 'wal.db');
    const store = openSqlite(path);
    await store.migrate();
    store.db.exec('PRAGMA wal_autocheckpoint = 0'); // as the server runs it
    const lines: string[] = [];
    const cp = new Checkpointer(
      store,
      createLogger('info', 'json', (l) => lines.push(l)),
      policy(p),
    );
    return { store, path, cp, lines };
  }
  /** 400 rows in 20 commits: a few MiB of WAL (every commit rewrites the pages it dirtied). */
  const write = async (store: SqliteStore) => {
    for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 20 }, () => store.revokedAccessTokens.add(crypto.randomUUID(), 2e9)));
  };
  async function until(what: string, ok: () => boolean, ms = 5000) {
    for (const t0 = Date.now(); Date.now() - t0 < ms; await Bun.sleep(20)) if (ok()) return;
    throw new Error(`timed out waiting for: ${what}`);
  }
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);

  test('after writes, the pages reach the database file and the WAL starts over', async () => {
    const { store, path, cp } = await setup({});
    const before = size(path);
    await write(store);
    await until('database file grows by the checkpoint', () => size(path) > before);
    await Bun.sleep(300); // the pass completes while nothing is written
    const walHigh = size(`${path}-wal`);
    await write(store); // the WAL is reused from its start: the file does not double
    expect(size(`${path}-wal`)).toBeLessThan(walHigh * 1.5);
    expect(await store.revokedAccessTokens.has(['not-there'])).toBe(false);
    cp.stop();
    await store.close();
  });

  test('the worker runs under SCHED_IDLE (only idle CPU time), the event loop thread does not', async () => {
    const { store, cp } = await setup({});
    // /proc/<pid>/task/<tid>/stat: field 19 is the nice value, field 41 the scheduling policy (5 = SCHED_IDLE).
    // A thread listed a moment ago may have exited since (the runtime's own threads come and go): no fields.
    const fields = (t: string) => {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      } catch {
        return [];
      }
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    };
    await until('a SCHED_IDLE thread', () => readdirSync('/proc/self/task').some((t) => fields(t)[38] === '5'));
    const main = fields(String(process.pid));
    expect([main[16], main[38]]).toEqual(['0', '0']);
    cp.stop();
    await store.close();
  });

  test('after a pause in writes, a large WAL file is truncated, by a thread at normal priority', async () => {
    const { store, path, cp } = await setup({ idleMs: 200, truncateBytes: 512 * 1024 });
    await write(store);
    expect(size(`${path}-wal`)).toBeGreaterThan(512 * 1024);
    await until('WAL truncated', () => size(`${path}-wal`) === 0);
    // TRUNCATE holds the write lock: never on the SCHED_IDLE thread (policy 5), where it could starve holding it.
    await until('the truncating pass reported', () => cp.lastPass?.mode === 'TRUNCATE');
    expect(cp.lastPass).toEqual({ mode: 'TRUNCATE', policy: 0 });
    expect((store.db.query('SELECT count(*) AS n FROM revoked_access_tokens').get() as { n: number }).n).toBe(400);
    await write(store); // the PASSIVE passes after it still run on the SCHED_IDLE thread
    await until('a PASSIVE pass reported', () => cp.lastPass?.mode === 'PASSIVE');
    expect(cp.lastPass!.policy).toBe(5);
    cp.stop();
    await store.close();
  });

  test('past the hard limit, while writes go on, the WAL is restarted by the main thread, with a warning', async () => {
    const { store, cp, lines } = await setup({ hardFrames: 50, valveWindowMs: 200 });
    // Writes that never pause: the worker's passes overlap them, so the WAL is never found fully copied.
    let writing = true;
    const load = (async () => {
      let n = 0;
      while (writing && n < 1000) {
        await write(store);
        n++;
      }
      return n;
    })();
    await until('restart logged', () => lines.some((l) => l.includes('WAL restarted under sustained writes')), 15_000).finally(() => (writing = false));
    const rounds = await load;
    const line = JSON.parse(lines.find((l) => l.includes('WAL restarted'))!);
    expect(line.level).toBe('warn');
    expect(line.frames).toBeGreaterThanOrEqual(0);
    await write(store); // writes go on normally afterwards
    expect((store.db.query('SELECT count(*) AS n FROM revoked_access_tokens').get() as { n: number }).n).toBe(400 * (rounds + 1));
    cp.stop();
    await store.close();
  });
});

describe('WAL checkpoints: the valve once writes have paused or slowed to a trickle', () => {
  test('the worker copies the WAL on idle time; the main thread does not restart it', async () => {
    const path = join(tempDir(), 'quiet.db');
    const store = openSqlite(path);
    await store.migrate();
    store.db.exec('PRAGMA wal_autocheckpoint = 0');
    for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 20 }, () => store.revokedAccessTokens.add(crypto.randomUUID(), 2e9)));
    const frames = Math.floor(statSync(`${path}-wal`).size / 4096);
    expect(frames).toBeGreaterThan(50);
    await Bun.sleep(250); // writes have paused (valveWindowMs 200) with the WAL past the hard limit
    const lines: string[] = [];
    const cp = new Checkpointer(
      store,
      createLogger('info', 'json', (l) => lines.push(l)),
      { ...DEFAULT_CHECKPOINT_POLICY, tickMs: 20, hardFrames: 50, valveWindowMs: 200, idleMs: 300, truncateBytes: 1 },
    );
    for (const t0 = Date.now(); Date.now() - t0 < 5000 && statSync(`${path}-wal`).size > 0; ) await Bun.sleep(20);
    expect(statSync(`${path}-wal`).size).toBe(0); // copied and truncated by the worker
    await Bun.sleep(100);
    expect(lines.filter((l) => l.includes('WAL restarted'))).toEqual([]);
    expect((store.db.query('SELECT count(*) AS n FROM revoked_access_tokens').get() as { n: number }).n).toBe(400);
    await store.revokedAccessTokens.add('after', 2e9); // writes go on
    expect(await store.revokedAccessTokens.has(['after'])).toBe(true);
    cp.stop();
    await store.close();
  });

  test('a trickle of writes (fewer than valveWrites a second) never opens it; sustained writes do', async () => {
    const path = join(tempDir(), 'trickle.db');
    const store = openSqlite(path);
    await store.migrate();
    store.db.exec('PRAGMA wal_autocheckpoint = 0');
    // A reader holding an old snapshot keeps every pass from copying the WAL (as a starved worker would), so
    // the WAL stays past the hard limit; the restarts the valve asks for are counted, not run.
    const reader = openSqlite(path);
    reader.db.exec('BEGIN');
    reader.db.query('SELECT count(*) AS n FROM revoked_access_tokens').get();
    for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 20 }, () => store.revokedAccessTokens.add(crypto.randomUUID(), 2e9)));
    let restarts = 0;
    const target = {
      path,
      get lastWriteMs() {
        return store.lastWriteMs;
      },
      get writeCount() {
        return store.writeCount;
      },
      restartWal: () => {
        restarts++;
        return { busy: 0, log: 0, checkpointed: 0 };
      },
    };
    const cp = new Checkpointer(
      target,
      createLogger('info', 'json', () => {}),
      { ...DEFAULT_CHECKPOINT_POLICY, tickMs: 20, hardFrames: 50, valveWrites: 20, valveWindowMs: 200 },
    );
    // Two writes a window (10 a second): the WAL past the limit grows by a few pages only.
    for (let i = 0; i < 15; i++) {
      await store.revokedAccessTokens.add(crypto.randomUUID(), 2e9);
      await Bun.sleep(100);
    }
    expect(restarts).toBe(0);
    // Hundreds of writes a window: the valve opens.
    for (const t0 = Date.now(); restarts === 0 && Date.now() - t0 < 5000; )
      await Promise.all(Array.from({ length: 20 }, () => store.revokedAccessTokens.add(crypto.randomUUID(), 2e9)));
    expect(restarts).toBeGreaterThan(0);
    cp.stop();
    reader.db.exec('COMMIT');
    await reader.close();
    await store.close();
  });
});

/** User u1 and public client c1, which refresh families refer to. */
async function userAndClient(s: SqliteStore) {
  await s.users.insert({ id: 'u1', username: 'u1', email: null, emailVerified: false, passwordHash: null, isAdmin: false, createdAt: 0 });
  await s.clients.insert({
    id: 'c1',
    secretHash: null,
    name: 'c',
    redirectUris: [],
    grantTypes: [],
    scopes: [],
    tokenEndpointAuthMethod: 'none',
    firstParty: false,
    origin: 'operator',
    metadata: {},
    createdAt: 0,
    lastUsedAt: null,
  });
}

// SqliteStore keeps the revoked jtis in memory for introspection; it must never miss a revocation.
describe('revoked access tokens, cached in memory', () => {
  const turn = () => new Promise((r) => setImmediate(r));
  async function two() {
    const path = join(tempDir(), 'rev.db');
    const a = openSqlite(path);
    await a.migrate();
    const b = openSqlite(path); // another process: `auth` commands or a second server
    return { a, b };
  }

  test('a revocation committed by this store is seen by the next lookup', async () => {
    const { a, b } = await two();
    expect(await a.revokedAccessTokens.has(['j1'])).toBe(false); // cache filled
    await a.revokedAccessTokens.add('j1', 2e9);
    expect(await a.revokedAccessTokens.has(['j1'])).toBe(true); // no turn in between
    await userAndClient(a);
    await a.refresh.insertFamily(
      {
        id: 'f1',
        clientId: 'c1',
        userId: 'u1',
        scope: '',
        resource: [],
        authTime: 0,
        createdAt: 0,
        revokedAt: null,
        expiresAt: 2e9,
        liveTokenId: null,
        liveParentId: null,
      },
      { id: 'r1', hash: 'h', familyId: 'f1', scope: '', resource: [], createdAt: 0, expiresAt: 2e9, consumedAt: null, lastJti: 'j2', lastExp: 2e9 },
    );
    expect(await a.revokedAccessTokens.has(['j2'])).toBe(false);
    expect(await a.revokedAccessTokens.has(['f1.x', 'f1.*'])).toBe(false);
    await a.refresh.revokeFamily('f1', 10, { jti: 'f1.*', expiresAt: 2e9 });
    expect(await a.revokedAccessTokens.has(['j2'])).toBe(true); // recorded on a token from before migration 9
    expect(await a.revokedAccessTokens.has(['f1.x', 'f1.*'])).toBe(true); // the family's mark
    await a.close();
    await b.close();
  });

  test('a revocation committed by another connection is seen from the next event-loop turn', async () => {
    const { a, b } = await two();
    expect(await a.revokedAccessTokens.has(['j3'])).toBe(false);
    await b.revokedAccessTokens.add('j3', 2e9);
    await turn();
    expect(await a.revokedAccessTokens.has(['j3'])).toBe(true);
    await a.close();
    await b.close();
  });

  test('past 10000 revoked tokens the table is asked directly, with the same answers', async () => {
    const { a, b } = await two();
    b.db.transaction(() => {
      const ins = b.db.prepare('INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)');
      for (let i = 0; i < 10_001; i++) ins.run(`bulk-${i}`, 2e9);
    })();
    await turn();
    expect(await a.revokedAccessTokens.has(['bulk-10000'])).toBe(true);
    expect(await a.revokedAccessTokens.has(['bulk-x'])).toBe(false);
    await a.revokedAccessTokens.add('j4', 2e9);
    expect(await a.revokedAccessTokens.has(['j4'])).toBe(true);
    await b.revokedAccessTokens.add('j5', 2e9);
    await turn();
    expect(await a.revokedAccessTokens.has(['j5'])).toBe(true);
    await a.close();
    await b.close();
  });
});

// Migration 9 dropped refresh_tokens' index on family_id; what still looks tokens up by family uses an index.
test('revoking a family finds the tokens from before migration 9 by the partial index, not a table scan', async () => {
  const s = openSqlite(join(tempDir(), 'plan.db'));
  await s.migrate();
  const plan = (s.db.query(`EXPLAIN QUERY PLAN ${Q.revokeFamilyLegacyAccessTokens}`).all('f', 0) as { detail: string }[]).map((r) => r.detail).join('\n');
  expect(plan).toContain('USING INDEX refresh_tokens_legacy_family_idx');
  const indexes = (s.db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'refresh_tokens'").all() as { name: string }[]).map(
    (r) => r.name,
  );
  expect(indexes.sort()).toEqual(['refresh_tokens_expiry_idx', 'refresh_tokens_legacy_family_idx', 'sqlite_autoindex_refresh_tokens_1']);
  expect(s.db.query('PRAGMA foreign_key_list(refresh_tokens)').all()).toEqual([]);
  await s.close();
});

// refresh.getWithFamily reads the token and its family under one read lock (readTogether).
describe('a refresh token and its family, read together', () => {
  async function seeded() {
    const path = join(tempDir(), 'rt.db');
    const s = openSqlite(path);
    await s.migrate();
    await userAndClient(s);
    await s.refresh.insertFamily(
      {
        id: 'f1',
        clientId: 'c1',
        userId: 'u1',
        scope: 'a',
        resource: [],
        authTime: 0,
        createdAt: 0,
        revokedAt: null,
        expiresAt: 2e9,
        liveTokenId: null,
        liveParentId: null,
      },
      { id: 'r1', hash: 'h', familyId: 'f1', scope: 'a', resource: [], createdAt: 0, expiresAt: 2e9, consumedAt: null, lastJti: null, lastExp: null },
    );
    return { s, path };
  }

  test('found, missing or inside a transaction, the connection is left outside any transaction', async () => {
    const { s } = await seeded();
    expect((await s.refresh.getWithFamily('r1'))?.family.id).toBe('f1');
    expect(s.db.inTransaction).toBe(false);
    expect(await s.refresh.getWithFamily('nope')).toBeNull();
    expect(s.db.inTransaction).toBe(false);
    // Called inside an open transaction it reads within it and leaves it open.
    s.db.exec('BEGIN');
    expect((await s.refresh.getWithFamily('r1'))?.row.id).toBe('r1');
    expect(s.db.inTransaction).toBe(true);
    s.db.exec('COMMIT');
    await s.close();
  });

  test('the read lock is released: another connection can restart the WAL right after', async () => {
    const { s, path } = await seeded();
    await s.refresh.getWithFamily('r1');
    const other = openSqlite(path);
    // RESTART waits for readers of the WAL; busy = 0 means nobody holds a read lock.
    expect((other.db.query('PRAGMA wal_checkpoint(RESTART)').get() as { busy: number }).busy).toBe(0);
    await other.close();
    await s.close();
  });
});

// Group commit (SqliteStore.write): the writes queued in one event-loop turn share a transaction, yet each stays
// atomic and independent — a failing one is undone alone and only its caller sees the error.
describe('group commit', () => {
  test('in one batch, a failing write is rolled back alone (its earlier statements too); the others commit', async () => {
    const s = openSqlite(join(tempDir(), 'gc.db'));
    await s.migrate();
    await userAndClient(s);
    const family = (id: string) => ({
      id,
      clientId: 'c1',
      userId: 'u1',
      scope: '',
      resource: [],
      authTime: 0,
      createdAt: 0,
      revokedAt: null,
      expiresAt: 2e9,
      liveTokenId: null,
      liveParentId: null,
    });
    const token = (id: string, familyId: string) => ({
      id,
      hash: 'h',
      familyId,
      scope: '',
      resource: [],
      createdAt: 0,
      expiresAt: 2e9,
      consumedAt: null,
      lastJti: null,
      lastExp: null,
    });
    await s.refresh.insertFamily(family('f0'), token('taken', 'f0'));
    // Same turn, so one batch: f2's family row is inserted, then its token collides with an existing id.
    const results = await Promise.allSettled([
      s.refresh.insertFamily(family('f1'), token('r1', 'f1')),
      s.refresh.insertFamily(family('f2'), token('taken', 'f2')),
      s.refresh.insertFamily(family('f3'), token('r3', 'f3')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await s.refresh.getFamily('f1')).not.toBeNull();
    expect(await s.refresh.getFamily('f2')).toBeNull(); // the family insert before the failure is undone
    expect(await s.refresh.getFamily('f3')).not.toBeNull();
    expect((await s.refresh.get('taken'))?.familyId).toBe('f0');
    expect(s.db.inTransaction).toBe(false);
    await s.close();
  });
});

describe('sweep batch sizes', () => {
  // The batch runner stands in for the statements here so that what a row costs is known: the sizing is
  // arithmetic on the measured times (the real statements run in the store contract's sweep tests).
  const costly = (perRowMs: Partial<Record<keyof typeof Q.sweep, number>>, rows: Partial<Record<keyof typeof Q.sweep, number>>) => {
    const left = { ...rows };
    const sizes: Record<string, number[]> = {};
    const run: BatchRunner = async (sql, params) => {
      const kind = (Object.keys(Q.sweep) as (keyof typeof Q.sweep)[]).find((k) => Q.sweep[k] === sql)!;
      const size = params.at(-1) as number;
      const n = Math.min(size, left[kind] ?? 0);
      left[kind] = (left[kind] ?? 0) - n;
      sizes[kind] = [...(sizes[kind] ?? []), size];
      return { rows: n, ms: n * (perRowMs[kind] ?? 0) };
    };
    return { run, sizes };
  };

  test('each kind starts at FIRST_BATCH rows, doubles up to SWEEP_BATCH while cheap, halves while over BATCH_TARGET_MS', async () => {
    const { run, sizes } = costly({ usedJtis: 0.001, auditLog: 0.05, sessions: 0.03 }, { usedJtis: 1_000, auditLog: 1_000, sessions: 500 });
    const r = await sweepInBatches(run, 1_000, 0, 500);
    expect(r.usedJtis).toBe(1_000);
    expect(r.auditEntries).toBe(1_000);
    expect(r.sessions).toBe(500);
    expect(sizes.usedJtis).toEqual([FIRST_BATCH, 100, 200, 200, 200, 200, 200]); // 50 + 100 + 5 × 200 = 1,150 ≥ 1,000
    expect(sizes.sessions!.every((s) => s === FIRST_BATCH)).toBe(true); // 1.5 ms a batch: within the target, kept
    expect(sizes.auditLog!.slice(0, 3)).toEqual([FIRST_BATCH, 25, 25]); // 2.5 ms at 50 rows: halved
    expect(Math.max(...Object.values(sizes).flat())).toBeLessThanOrEqual(SWEEP_BATCH);
    expect(r.maxBatchMs).toBe(2.5);
    expect(r.maxBatchKind).toBe('auditLog');
    expect(FIRST_BATCH * 0.05).toBeGreaterThan(BATCH_TARGET_MS); // the audit case above is over the target
  });

  test('however slow the rows, a batch deletes at least 10, and every row goes', async () => {
    const { run, sizes } = costly({ codes: 5 }, { codes: 95 });
    const r = await sweepInBatches(run, 1_000, 0);
    expect(r.codes).toBe(95);
    expect(sizes.codes).toEqual([50, 25, 12, 10]); // 50 + 25 + 12 + 8 (fewer than asked: the last batch)
  });
});

test('audit ids sort by the time of their row: the sweep deletes from the left edge of the primary key', () => {
  const ids = [1_000_000_000, 1_000_000_001, 1_700_000_000, 2_000_000_000].map((t) => auditId(t));
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids.map((id) => id.length))).toEqual(new Set([22]));
  expect(auditId(1_700_000_000)).not.toBe(auditId(1_700_000_000)); // random below the time
});
