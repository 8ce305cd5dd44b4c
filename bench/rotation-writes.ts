// What a refresh rotation costs SQLite, with and without an index on refresh_tokens.family_id (dropped by
// migration 9): the store's own rotate() through its group commit, on a WAL database holding FAMILIES families
// of 3 tokens, rotating a pool of 200 of them round-robin like bench/run.ts does, BATCH rotations per
// event-loop turn. Reports µs per rotation and WAL bytes per rotation; the two variants alternate ROUNDS times
// in one process. Usage: bun bench/rotation-writes.ts   (env FAMILIES, ROTATIONS, BATCH, ROUNDS)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sortableId } from '../src/security/random.ts';
import { sha256Hex } from '../src/security/hash.ts';
import { openSqlite } from '../src/store/sqlite/store.ts';
import type { RefreshRow } from '../src/store/store.ts';

const FAMILIES = Number(process.env.FAMILIES ?? 5000);
const ROTATIONS = Number(process.env.ROTATIONS ?? 60_000);
const BATCH = Number(process.env.BATCH ?? 6);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const POOL = 200;
const NOW = Math.floor(Date.now() / 1000);
const TTL = 30 * 86400;

const token = (familyId: string, createdMs = Date.now(), consumedAt: number | null = null): RefreshRow => ({
  id: sortableId(createdMs),
  hash: sha256Hex(crypto.randomUUID()),
  familyId,
  scope: 'openid',
  resource: ['https://api.bench.example'],
  createdAt: NOW,
  expiresAt: NOW + TTL,
  consumedAt,
  lastJti: null,
  lastExp: null,
});

async function run(withFamilyIndex: boolean): Promise<{ us: number; walBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-rotation-writes-'));
  try {
    const s = openSqlite(join(dir, 'auth.db'));
    await s.migrate();
    if (withFamilyIndex) s.db.exec('CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)');
    await s.clients.insert({
      id: 'c',
      secretHash: null,
      name: 'c',
      redirectUris: [],
      grantTypes: ['refresh_token'],
      scopes: [],
      tokenEndpointAuthMethod: 'none',
      firstParty: false,
      origin: 'operator',
      metadata: {},
      createdAt: NOW,
      lastUsedAt: null,
    });
    await s.users.insert({ id: 'u', username: 'u', email: null, emailVerified: false, passwordHash: null, isAdmin: false, createdAt: NOW });
    // The families, each with two consumed tokens and a live one, created over the last few hours.
    const live: RefreshRow[] = [];
    const start = Date.now() - 3 * 3600_000;
    for (let i = 0; i < FAMILIES; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, FAMILIES - i) }, async (_, k) => {
          const n = i + k;
          const familyId = sortableId(start + n * 1000);
          const first = token(familyId, start + n * 1000, NOW);
          const second = token(familyId, start + n * 1000 + 1, NOW);
          const family = {
            id: familyId,
            clientId: 'c',
            userId: 'u',
            scope: 'openid',
            resource: [],
            authTime: NOW,
            createdAt: NOW,
            revokedAt: null,
            expiresAt: NOW + TTL,
            liveTokenId: first.id,
            liveParentId: null,
          };
          await s.refresh.insertFamily(family, first);
          await s.refresh.rotate(first.id, NOW, second, NOW + TTL);
          const last = token(familyId, start + n * 1000 + 2);
          await s.refresh.rotate(second.id, NOW, last, NOW + TTL);
          if (n % Math.floor(FAMILIES / POOL) === 0 && live.length < POOL) live.push(last);
        }),
      );
    }
    s.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    s.db.exec('PRAGMA wal_autocheckpoint = 0'); // the WAL grows by what the rotations write, and nothing else
    let slot = 0;
    const t0 = performance.now();
    for (let done = 0; done < ROTATIONS; done += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, async () => {
          const i = slot++ % live.length;
          const next = token(live[i]!.familyId);
          if (!(await s.refresh.rotate(live[i]!.id, NOW, next, NOW + TTL))) throw new Error('rotation lost');
          live[i] = next;
        }),
      );
    }
    const us = ((performance.now() - t0) * 1000) / ROTATIONS;
    const walBytes = statSync(join(dir, 'auth.db-wal')).size / ROTATIONS;
    s.db.close();
    return { us, walBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, { us: number[]; wal: number[] }> = {
  'no family index (schema 9)': { us: [], wal: [] },
  'family index (schema 8)': { us: [], wal: [] },
};
for (let r = 0; r < ROUNDS; r++) {
  for (const withIndex of r % 2 ? [true, false] : [false, true]) {
    const x = await run(withIndex);
    const row = results[withIndex ? 'family index (schema 8)' : 'no family index (schema 9)']!;
    row.us.push(x.us);
    row.wal.push(x.walBytes);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`${ROTATIONS} rotations over ${FAMILIES} families, ${BATCH} per transaction, median of ${ROUNDS}:`);
for (const [name, v] of Object.entries(results)) {
  console.log(
    `  ${name.padEnd(28)} ${median(v.us).toFixed(1).padStart(6)} µs/rotation  ${(median(v.wal) / 1024).toFixed(1).padStart(5)} KiB WAL/rotation  (rounds ${v.us.map((u) => u.toFixed(1)).join(' / ')} µs)`,
  );
}
