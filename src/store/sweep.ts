// The sweeper, shared by both drivers: every kind of expired row deleted in batches, each batch a statement
// of its own (on SQLite, its own turn of the write queue), so requests' writes go between batches and no batch
// holds the write lock for long. A batch's size adapts to what its rows cost: each kind starts at FIRST_BATCH
// rows, doubles (up to SWEEP_BATCH) while a batch takes under half of BATCH_TARGET_MS and halves while one
// takes more than BATCH_TARGET_MS. With fixed batches of 200 rows, old audit rows took 3.7–4.1 ms a batch among a million rows
// (bench/growth.ts): too close to the 5 ms a batch may hold the write lock, as a hiccup of the machine on top
// went past it. The longest batch is reported.
import { Q } from './statements.ts';
import type { SweepResult } from './store.ts';

/** The most rows one batch deletes. */
export const SWEEP_BATCH = 200;
/** Rows in a kind's first batch. */
export const FIRST_BATCH = 50;
/** The time one batch should take (ms): the size halves after a batch over it, doubles after one under half of it. */
export const BATCH_TARGET_MS = 2;
/** The fewest rows a batch deletes, however slow its rows. */
const MIN_BATCH = 10;

/** Runs one batch statement; returns the rows deleted and how long the statement took (ms). */
export type BatchRunner = (sql: string, params: unknown[]) => Promise<{ rows: number; ms: number }>;

export async function sweepInBatches(run: BatchRunner, now: number, idleBefore: number, auditBefore?: number, batch = SWEEP_BATCH): Promise<SweepResult> {
  const S = Q.sweep;
  let maxBatchMs = 0;
  let maxBatchKind = '';
  let batches = 0;
  const drain = async (kind: keyof typeof S, ...bounds: unknown[]) => {
    let total = 0;
    let size = Math.min(FIRST_BATCH, batch);
    for (;;) {
      const { rows, ms } = await run(S[kind], [...bounds, size]);
      batches++;
      if (ms > maxBatchMs) [maxBatchMs, maxBatchKind] = [ms, kind];
      total += rows;
      if (rows < size) return total;
      if (ms > BATCH_TARGET_MS) size = Math.max(MIN_BATCH, size >> 1);
      else if (ms < BATCH_TARGET_MS / 2) size = Math.min(batch, size * 2);
    }
  };
  const result: SweepResult = {
    codes: await drain('codes', now - 3600), // kept an hour after expiry so replays are still recognised
    refreshTokens: await drain('refreshTokens', now),
    families: (await drain('familiesExpired', now)) + (await drain('familiesRevoked', now - 86400)),
    sessions: await drain('sessions', now),
    revokedAccessTokens: await drain('revokedAccessTokens', now),
    upstreamLogins: await drain('upstreamLogins', now),
    idleClients: await drain('idleClients', idleBefore, idleBefore),
    deviceCodes: await drain('deviceCodes', now),
    tempTokens: await drain('tempTokens', now),
    rateLimits: await drain('rateLimits', now - 86400),
    usedJtis: await drain('usedJtis', now),
    auditEntries: auditBefore === undefined ? 0 : await drain('auditLog', auditBefore),
  };
  return { ...result, batches, maxBatchMs: Math.round(maxBatchMs * 100) / 100, maxBatchKind };
}
