// The in-memory cache of registered clients (CLIENT_CACHE_TTL).
import type { ClientRow } from '../store/store.ts';

/**
 * Registered clients kept in memory for CLIENT_CACHE_TTL: reading and parsing the row is a large part of
 * a token request's cost. Changes made through this process invalidate at once; changes made elsewhere
 * (`auth clients …`, another instance) apply within the TTL. Unknown ids are not cached.
 */
export class ClientCache {
  private rows = new Map<string, { row: ClientRow; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly clock: { nowMs(): number },
    private readonly max = 10_000,
  ) {}
  get(id: string): ClientRow | undefined {
    const hit = this.rows.get(id);
    if (!hit) return undefined;
    if (hit.until <= this.clock.nowMs()) {
      this.rows.delete(id);
      return undefined;
    }
    return hit.row;
  }
  set(row: ClientRow): void {
    if (this.ttlMs <= 0) return;
    if (this.rows.size >= this.max) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(row.id, { row, until: this.clock.nowMs() + this.ttlMs });
  }
  invalidate(id: string): void {
    this.rows.delete(id);
  }
}
