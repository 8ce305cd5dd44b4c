// The revoked access-token jtis of a SQLite database, kept in memory (introspection asks for every token).
import type { Database, SQLQueryBindings } from 'bun:sqlite';
import type { Row } from '../rows.ts';
import { classify } from './open.ts';

/** Revoked access tokens kept in memory at most. */
const REVOKED_CACHE_MAX = 10_000;

export class RevokedCache {
  /** undefined = to be read, null = too large to cache. */
  private revoked: Set<string> | null | undefined = undefined;
  private revokedRetryAt = 0;
  private revokedChecked = false;
  private dataVersion = -1;
  /** Set by write operations that add revocations; the cache is dropped once their batch is committed. */
  private revocationsWritten = false;

  constructor(private readonly db: Database) {}

  /** A revocation was written in the current batch. */
  written(): void {
    this.revocationsWritten = true;
  }

  /** After a batch: forget the set if the batch wrote revocations. */
  dropIfWritten(): void {
    if (!this.revocationsWritten) return;
    this.revocationsWritten = false;
    if (this.revoked !== null) this.revoked = undefined;
  }

  /**
   * The revoked jtis, in memory: introspection asks for every token, and a Set lookup costs nothing next to
   * a SQLite read (~4 µs under load). The set is read again when it may be stale:
   *  - after this connection commits a revocation (the write queue drops it before any caller is answered);
   *  - when another connection — `auth` commands, a second process — has committed anything: PRAGMA
   *    data_version, looked at once per event-loop turn (a revocation committed elsewhere during a turn is
   *    seen from the next one, as if the request had come a moment earlier).
   * Past REVOKED_CACHE_MAX rows the table is asked directly instead (reading it all again would cost more).
   */
  set(): Set<string> | null {
    if (!this.revokedChecked) {
      this.revokedChecked = true;
      setImmediate(() => (this.revokedChecked = false));
      const version = (this.query('PRAGMA data_version')[0] as { data_version: number }).data_version;
      if (version !== this.dataVersion) {
        this.dataVersion = version;
        if (this.revoked !== null) this.revoked = undefined; // (too large: retried at revokedRetryAt)
      }
    }
    if (this.revoked === undefined || (this.revoked === null && performance.now() >= this.revokedRetryAt)) {
      const rows = this.query(`SELECT jti FROM revoked_access_tokens LIMIT ${REVOKED_CACHE_MAX + 1}`);
      if (rows.length > REVOKED_CACHE_MAX) {
        this.revoked = null;
        this.revokedRetryAt = performance.now() + 10_000;
      } else this.revoked = new Set(rows.map((r) => r.jti as string));
    }
    return this.revoked;
  }

  private query(sql: string, ...params: unknown[]): Row[] {
    try {
      return this.db.query(sql).all(...(params as SQLQueryBindings[])) as Row[];
    } catch (e) {
      return classify(e);
    }
  }
}
