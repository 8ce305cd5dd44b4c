// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, recommended by MCP
// 2025-11-25+): a client_id that is an https URL names a JSON document describing the client. We fetch it
// SSRF-safely (resolve first, refuse special-use addresses, connect to the checked address, no redirects,
// at most 5 KB, all of it — lookup, connect, headers, body — within CIMD_TIMEOUT), validate it, cache it
// per Cache-Control within bounds (errors never), and keep a row in `clients` (origin metadata_document)
// so codes and refresh tokens can refer to it. Look-ups that miss the cache are limited per IP
// (CIMD_RATE_LIMIT), and at most CIMD_MAX_CLIENTS such rows exist: the least recently used goes first.
import { nowS } from '../clock.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { fetchPublic, SafeFetchError } from '../security/safe-fetch.ts';
import { isHttpsOrLoopback } from '../security/loopback.ts';
import { checkRedirectUri } from '../security/redirect-uri.ts';
import type { ClientRow, Store } from '../store/store.ts';
import type { RateLimiter } from './rate-limit.ts';
import { TooManyRequests } from './errors.ts';
import { DEVICE_GRANT } from './grant-types.ts';

export const MAX_DOCUMENT_BYTES = 5120;
const MIN_CACHE_S = 30;
const MAX_CACHE_S = 86400;
const DEFAULT_CACHE_S = 300;
const MAX_ENTRIES = 1000;

export class ClientDocumentError extends Error {
  override name = 'ClientDocumentError';
}

/** Could this client_id be a metadata document URL? (Our own ids never start with a scheme.) */
export function isClientIdUrl(id: string): boolean {
  return id.startsWith('https://') || id.startsWith('http://');
}

/** CIMD §3: https, a path, no userinfo, no fragment, no dot segments, compared as a plain string. */
export function checkClientIdUrl(id: string, allowLoopbackHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    throw new ClientDocumentError('client_id is not a valid URL');
  }
  if (url.protocol !== 'https:' && !(allowLoopbackHttp && isHttpsOrLoopback(url))) throw new ClientDocumentError('client_id URL must be https');
  if (url.username || url.password) throw new ClientDocumentError('client_id URL must not contain credentials');
  if (id.includes('#')) throw new ClientDocumentError('client_id URL must not contain a fragment');
  if (url.pathname === '/' || url.pathname === '') throw new ClientDocumentError('client_id URL must have a path');
  if (/\/\.\.?(\/|$)/.test(id.split('?')[0]!)) throw new ClientDocumentError('client_id URL must not contain . or .. segments');
  if (url.href !== id) throw new ClientDocumentError('client_id URL is not in canonical form');
  if (id.length > 2000) throw new ClientDocumentError('client_id URL is too long');
  return url;
}

interface Fetched {
  body: string;
  maxAge: number | null; // null = do not cache
}

export class ClientDocuments {
  private cache = new Map<string, { row: ClientRow; until: number }>();
  private inflight = new Map<string, Promise<ClientRow>>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: Pick<Config, 'cimdTimeout' | 'cimdAllowLoopback' | 'cimdMaxClients' | 'scopes'>,
    private readonly missesPerIp: RateLimiter | null = null,
  ) {}

  /**
   * The client described by the document at `id`; throws ClientDocumentError with the reason, or
   * TooManyRequests when `ip` has missed the cache too often.
   */
  async resolve(id: string, ip?: string): Promise<ClientRow> {
    const hit = this.cache.get(id);
    if (hit && hit.until > this.clock.nowMs()) return hit.row;
    if (this.missesPerIp && ip !== undefined) {
      const wait = this.missesPerIp.hit(ip);
      if (wait > 0) throw new TooManyRequests(wait, 'too many client metadata document look-ups from this address; retry later');
    }
    let p = this.inflight.get(id);
    if (!p) {
      // Concurrent requests for the same document share one fetch.
      p = this.load(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
    }
    return p;
  }

  private async load(id: string): Promise<ClientRow> {
    const url = checkClientIdUrl(id, this.config.cimdAllowLoopback);
    const fetched = await this.fetchDocument(url);
    const row = this.validate(id, fetched.body);
    const existing = await this.store.clients.get(id);
    if (existing && existing.origin !== 'metadata_document') throw new ClientDocumentError('client_id is taken by a registered client');
    // A new document client: make room under the cap first (the least recently used ones go).
    if (!existing) await this.store.clients.reapDocuments(this.config.cimdMaxClients - 1);
    await this.store.clients.upsertDocument(row);
    const stored = (await this.store.clients.get(id)) ?? row;
    if (fetched.maxAge !== null) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(id, { row: stored, until: this.clock.nowMs() + fetched.maxAge * 1000 });
    }
    return stored;
  }

  /** The whole fetch within CIMD_TIMEOUT, SSRF-safe (security/safe-fetch.ts); its failures as ClientDocumentError. */
  private async fetchDocument(url: URL): Promise<Fetched> {
    try {
      const r = await fetchPublic(url, {
        timeoutS: this.config.cimdTimeout,
        maxBytes: MAX_DOCUMENT_BYTES,
        allowLoopback: this.config.cimdAllowLoopback,
        what: 'the metadata document',
      });
      return { body: r.body, maxAge: cacheSeconds(r.cacheControl) };
    } catch (e) {
      if (e instanceof SafeFetchError) throw new ClientDocumentError(e.message);
      throw e;
    }
  }

  private validate(id: string, body: string): ClientRow {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new ClientDocumentError('the metadata document is not JSON');
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ClientDocumentError('the metadata document is not a JSON object');
    const d = doc as Record<string, unknown>;
    // CIMD §4.1: client_id must equal the URL exactly.
    if (d.client_id !== id) throw new ClientDocumentError("the document's client_id differs from its URL");
    if (typeof d.client_name !== 'string' || !d.client_name.trim() || d.client_name.length > 200)
      throw new ClientDocumentError('the document needs a client_name');
    if (!Array.isArray(d.redirect_uris) || d.redirect_uris.length === 0 || d.redirect_uris.length > 20)
      throw new ClientDocumentError('the document needs redirect_uris');
    for (const u of d.redirect_uris) {
      if (typeof u !== 'string' || checkRedirectUri(u)) throw new ClientDocumentError(`invalid redirect URI in the document: ${String(u).slice(0, 100)}`);
    }
    // CIMD §4.2: no shared secrets; only public clients here (private_key_jwt is not supported).
    const method = d.token_endpoint_auth_method ?? 'none';
    if (method !== 'none') throw new ClientDocumentError(`token_endpoint_auth_method ${String(method)} is not supported for metadata documents (use none)`);
    if ('client_secret' in d) throw new ClientDocumentError('a metadata document must not contain client_secret');
    const grants = d.grant_types === undefined ? ['authorization_code', 'refresh_token'] : d.grant_types;
    if (!Array.isArray(grants) || grants.some((g) => !['authorization_code', 'refresh_token', DEVICE_GRANT].includes(g as string))) {
      throw new ClientDocumentError('unsupported grant_types in the document');
    }
    let scopes: string[] = [];
    if (d.scope !== undefined) {
      if (typeof d.scope !== 'string') throw new ClientDocumentError('scope must be a string');
      scopes = d.scope.split(' ').filter(Boolean);
      const unknown = scopes.filter((s) => !this.config.scopes.includes(s));
      if (unknown.length) throw new ClientDocumentError(`unknown scope in the document: ${unknown.join(' ')}`);
    }
    const meta: Record<string, unknown> = {};
    for (const k of ['client_uri', 'logo_uri', 'application_type', 'software_id', 'software_version'])
      if (typeof d[k] === 'string') meta[k] = (d[k] as string).slice(0, 500);
    return {
      id,
      secretHash: null,
      name: d.client_name.trim(),
      redirectUris: d.redirect_uris as string[],
      grantTypes: grants as string[],
      scopes,
      tokenEndpointAuthMethod: 'none',
      firstParty: false,
      origin: 'metadata_document',
      metadata: meta,
      createdAt: nowS(this.clock),
      lastUsedAt: null,
    };
  }
}

/** max-age from Cache-Control, bounded to [30 s, 1 day]; no-store → not cached. */
function cacheSeconds(header: string | string[] | undefined): number | null {
  const v = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
  if (/no-store/.test(v)) return null;
  const m = /max-age=(\d+)/.exec(v);
  const s = m ? Number(m[1]) : /no-cache/.test(v) ? MIN_CACHE_S : DEFAULT_CACHE_S;
  return Math.min(MAX_CACHE_S, Math.max(MIN_CACHE_S, s));
}
