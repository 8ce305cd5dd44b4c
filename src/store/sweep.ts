// The sweeper, shared by both drivers: every kind of expired row deleted in batches of at most SWEEP_BATCH
// rows (200: at most 3.7 ms of deletes on SQLite among a million refresh families, bench/growth.ts), each batch a
// statement of its own (on SQLite, its own turn of the write queue), so requests' writes
// go between batches and no batch holds the write lock for long. The longest batch is reported.
import { Q } from './statements.ts';
import type { SweepResult } from './store.ts';

export const SWEEP_BATCH = 200;

/** Runs one batch statement; returns the rows deleted and how long the statement took (ms). */
export type BatchRunner = (sql: string, params: unknown[]) => Promise<{ rows: number; ms: number }>;

export async function sweepInBatches(run: BatchRunner, now: number, idleBefore: number, auditBefore?: number, batch = SWEEP_BATCH): Promise<SweepResult> {
  const S = Q.sweep;
  let maxBatchMs = 0;
  let maxBatchKind = '';
  let batches = 0;
  const drain = async (kind: keyof typeof S, ...bounds: unknown[]) => {
    let total = 0;
    for (;;) {
      const { rows, ms } = await run(S[kind], [...bounds, batch]);
      batches++;
      if (ms > maxBatchMs) [maxBatchMs, maxBatchKind] = [ms, kind];
      total += rows;
      if (rows < batch) return total;
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
