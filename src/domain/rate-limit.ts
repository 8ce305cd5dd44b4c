// Fixed-window counters per key, in memory, with a hard cap on the number of keys so an address-spoofing
// flood cannot grow memory without bound (the oldest windows are evicted first).
import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';
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

/**
 * A limit that must hold for the whole deployment, not per instance: failed sign-ins and wrong device codes
 * (guessing spread over instances behind a load balancer would otherwise get one budget each). In memory on
 * SQLite (one instance); in the store's fixed windows (rate_limits) on PostgreSQL, shared by every instance.
 */
export interface SharedLimiter {
  readonly limit: number;
  /** Seconds until `key` may try again, or 0 when it is under the limit. Does not count. */
  blockedFor(key: string): Promise<number>;
  /** Events counted for `key` in its current window. */
  count(key: string): Promise<number>;
  /** Count one event; seconds to wait when this one is over the limit, else 0. */
  hit(key: string): Promise<number>;
  /** Forget `key`'s window (operators and tests). */
  reset(key: string): Promise<void>;
}

export function memoryLimiter(l: RateLimiter): SharedLimiter {
  return {
    limit: l.limit,
    blockedFor: async (key) => l.blockedFor(key),
    count: async (key) => l.count(key),
    hit: async (key) => l.hit(key),
    reset: async (key) => l.reset(key),
  };
}

export function storeLimiter(store: Pick<Store, 'rateLimits'>, clock: Clock, name: string, limit: number, windowS: number): SharedLimiter {
  const nowS = () => Math.floor(clock.nowMs() / 1000);
  const wait = (windowStart: number) => Math.max(1, windowStart + windowS - nowS());
  return {
    limit,
    async blockedFor(key) {
      const w = await store.rateLimits.peek(`${name}:${key}`, windowS, nowS());
      return w && w.count >= limit ? wait(w.windowStart) : 0;
    },
    async count(key) {
      return (await store.rateLimits.peek(`${name}:${key}`, windowS, nowS()))?.count ?? 0;
    },
    async hit(key) {
      const w = await store.rateLimits.hit(`${name}:${key}`, windowS, nowS());
      return w.count <= limit ? 0 : wait(w.windowStart);
    },
    async reset(key) {
      await store.rateLimits.reset(`${name}:${key}`);
    },
  };
}
