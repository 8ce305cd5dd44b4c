// Fixed-window counters per key, in memory, with a hard cap on the number of keys so an address-spoofing
// flood cannot grow memory without bound (the oldest windows are evicted first).
import type { Clock } from '../clock.ts';
import { TooManyRequests } from './errors.ts';

interface Window {
  count: number;
  resetAt: number; // ms
}

export class RateLimiter {
  private windows = new Map<string, Window>();

  constructor(
    readonly limit: number,
    readonly windowS: number,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  private window(key: string, create: boolean): Window | null {
    const now = this.clock.nowMs();
    let w = this.windows.get(key);
    if (w && w.resetAt <= now) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!w && create) {
      if (this.windows.size >= this.maxKeys) {
        // Map iterates in insertion order: drop the oldest tenth.
        let drop = Math.ceil(this.maxKeys / 10);
        for (const k of this.windows.keys()) {
          this.windows.delete(k);
          if (--drop === 0) break;
        }
      }
      w = { count: 0, resetAt: now + this.windowS * 1000 };
      this.windows.set(key, w);
    }
    return w ?? null;
  }

  /** Seconds until `key` may try again, or 0 when it is under the limit. Does not count. */
  blockedFor(key: string): number {
    const w = this.window(key, false);
    if (!w || w.count < this.limit) return 0;
    return Math.max(1, Math.ceil((w.resetAt - this.clock.nowMs()) / 1000));
  }

  /** Events counted for `key` in its current window (0 when none). */
  count(key: string): number {
    return this.window(key, false)?.count ?? 0;
  }

  /** Count one event for `key`; returns seconds to wait when this event is over the limit, else 0. */
  hit(key: string): number {
    const w = this.window(key, true)!;
    w.count++;
    if (w.count <= this.limit) return 0;
    return Math.max(1, Math.ceil((w.resetAt - this.clock.nowMs()) / 1000));
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  get size(): number {
    return this.windows.size;
  }
}

/** A limiter per endpoint and key kind; `limit` 0 switches it off. Throws 429 (RFC 6585 §4) when over. */
export function enforce(limiter: RateLimiter | null, key: string, onReject: () => void): void {
  if (!limiter) return;
  const wait = limiter.hit(key);
  if (wait > 0) {
    onReject();
    throw new TooManyRequests(wait);
  }
}
