// Public keys of others — a client's `jwks_uri`, an enterprise identity provider's, a CI platform's — fetched
// SSRF-safely (security/safe-fetch.ts) within JWKS_TIMEOUT, cached per Cache-Control (1 minute to 1 hour;
// 5 minutes without), and fetched again when a JWT names a key id the cached set lacks (at most every 30 s
// per URL, so unknown kids cannot make us hammer the issuer). Concurrent misses share one fetch.
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.ts';
import { fetchPublic, SafeFetchError } from '../security/safe-fetch.ts';

const MAX_JWKS_BYTES = 64 * 1024;
const MIN_CACHE_S = 60;
const MAX_CACHE_S = 3600;
const DEFAULT_CACHE_S = 300;
const REFETCH_COOLDOWN_MS = 30_000;
const MAX_ENTRIES = 1000;

export class JwksError extends Error {
  override name = 'JwksError';
}

interface Entry {
  getKey: JWTVerifyGetKey;
  until: number;
  fetchedAt: number;
}

/** A JWKS document, checked: an object with a `keys` array of public keys only. */
export function parseJwks(value: unknown, what = 'the JWKS'): JSONWebKeySet {
  if (!value || typeof value !== 'object' || !Array.isArray((value as { keys?: unknown }).keys)) throw new JwksError(`${what} has no "keys" array`);
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length > 100) throw new JwksError(`${what} has more than 100 keys`);
  for (const k of keys) {
    if (!k || typeof k !== 'object' || typeof (k as { kty?: unknown }).kty !== 'string') throw new JwksError(`${what} holds a key without "kty"`);
    // A private or symmetric key has no business in a published set: refuse the whole set.
    if ('d' in k || (k as { kty: string }).kty === 'oct') throw new JwksError(`${what} holds a private or symmetric key`);
  }
  return value as JSONWebKeySet;
}

export class RemoteJwks {
  private cache = new Map<string, Entry>();
  private inflight = new Map<string, Promise<Entry>>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: { timeoutS: number; allowLoopback: boolean },
  ) {}

  /** A key resolver for jose's jwtVerify over the JWKS at `uri`. */
  resolver(uri: string): JWTVerifyGetKey {
    return async (header, token) => {
      let entry = await this.entry(uri, false);
      try {
        return await entry.getKey(header, token);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || this.clock.nowMs() - entry.fetchedAt < REFETCH_COOLDOWN_MS) throw e;
        entry = await this.entry(uri, true); // a rotated key: look once more
        return entry.getKey(header, token);
      }
    };
  }

  private entry(uri: string, refresh: boolean): Promise<Entry> {
    const hit = this.cache.get(uri);
    if (hit && !refresh && hit.until > this.clock.nowMs()) return Promise.resolve(hit);
    let p = this.inflight.get(uri);
    if (!p) {
      p = this.load(uri).finally(() => this.inflight.delete(uri));
      this.inflight.set(uri, p);
    }
    return p;
  }

  private async load(uri: string): Promise<Entry> {
    let body: string;
    let cacheControl: string | undefined;
    try {
      ({ body, cacheControl } = await fetchPublic(new URL(uri), {
        timeoutS: this.opts.timeoutS,
        maxBytes: MAX_JWKS_BYTES,
        allowLoopback: this.opts.allowLoopback,
        what: `the JWKS at ${uri}`,
      }));
    } catch (e) {
      if (e instanceof SafeFetchError) throw new JwksError(e.message);
      throw e;
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new JwksError(`the JWKS at ${uri} is not JSON`);
    }
    const now = this.clock.nowMs();
    const entry: Entry = { getKey: createLocalJWKSet(parseJwks(json, `the JWKS at ${uri}`)), until: now + cacheSeconds(cacheControl) * 1000, fetchedAt: now };
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(uri, entry);
    return entry;
  }
}

function cacheSeconds(header: string | undefined): number {
  const v = (header ?? '').toLowerCase();
  const m = /max-age=(\d+)/.exec(v);
  const s = m ? Number(m[1]) : /no-store|no-cache/.test(v) ? MIN_CACHE_S : DEFAULT_CACHE_S;
  return Math.min(MAX_CACHE_S, Math.max(MIN_CACHE_S, s));
}
