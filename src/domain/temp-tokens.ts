// Scoped temporary tokens (the temptoken seed): short-lived bearer tokens that open a fixed set of routes
// for one resource, so a link can be handed to someone who has no session. A registry of scopes (name,
// allowed method+path routes with a resource-id placeholder, max TTL, single use or not); tokens are
// `tt_<id>.<secret>` (256-bit secret), stored as SHA-256, compared in constant time.
import type { Clock } from '../clock.ts';
import { nowS } from '../clock.ts';
import { matchesHash } from '../security/compare.ts';
import { mintSecret, parseSecret } from '../security/token-format.ts';
import type { Store } from '../store/store.ts';
import { CONTROL_CHARACTERS } from '../security/control.ts';

export const TEMP_TOKEN_PREFIX = 'tt_';
export const DEFAULT_PLACEHOLDER = '{id}';

export interface RoutePattern {
  method: string;
  path: string;
}

export interface TempTokenScope {
  name: string;
  routes: RoutePattern[];
  /** The placeholder in route paths replaced by the token's resource id (default "{id}"). */
  placeholder?: string;
  /** Seconds. */
  maxTtl: number;
  /** Consumed by the first successful validation. */
  singleUse: boolean;
}

export class TempTokenError extends Error {
  override name = 'TempTokenError';
  constructor(
    readonly code: 'not_found' | 'expired' | 'unknown_scope' | 'route_not_allowed' | 'ttl_out_of_range' | 'invalid_resource' | 'invalid_scope',
    message: string,
  ) {
    super(message);
  }
}

const NAME_RE = /^[a-z][a-z0-9_.-]{0,63}$/;
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
// A resource id substitutes one path segment: no slashes, no dot segments, printable.
const RESOURCE_ID_RE = /^(?!\.\.?$)[A-Za-z0-9._~:@!$&'()*+,;=-]{1,200}$/;

/**
 * Normalise a request path for matching, refusing anything that could widen a match: encoded slashes or
 * backslashes or dots, dot segments, empty segments (double slashes), backslashes, control characters.
 * Returns the decoded path, or null when the path is suspicious.
 */
export function normalizePath(raw: string): string | null {
  const path = raw.split('?')[0]!;
  if (!path.startsWith('/') || path.length > 2048) return null;
  if (/%2f|%5c|%2e|%00/i.test(path) || path.includes('\\') || path.includes('//')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (CONTROL_CHARACTERS.test(decoded)) return null;
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return null;
  return decoded;
}

export class TempTokenRegistry {
  private scopes = new Map<string, TempTokenScope>();

  /** Register a scope; a duplicate or invalid scope throws (fail loudly at start). */
  register(scope: TempTokenScope): void {
    const placeholder = scope.placeholder ?? DEFAULT_PLACEHOLDER;
    if (!NAME_RE.test(scope.name)) throw new Error(`temp token scope name ${JSON.stringify(scope.name)} is invalid (lower-case letters, digits, _ . -)`);
    if (this.scopes.has(scope.name)) throw new Error(`temp token scope ${scope.name} is registered twice`);
    if (!Array.isArray(scope.routes) || scope.routes.length === 0) throw new Error(`temp token scope ${scope.name} has no routes`);
    if (!(scope.maxTtl > 0)) throw new Error(`temp token scope ${scope.name} needs a positive max TTL`);
    for (const r of scope.routes) {
      if (!METHODS.has(String(r.method).toUpperCase())) throw new Error(`temp token scope ${scope.name}: unsupported method ${r.method}`);
      if (typeof r.path !== 'string' || !r.path.startsWith('/')) throw new Error(`temp token scope ${scope.name}: route path must start with /`);
      if (!r.path.includes(placeholder)) throw new Error(`temp token scope ${scope.name}: route ${r.path} lacks the placeholder ${placeholder}`);
      if (normalizePath(r.path.replaceAll(placeholder, 'x')) === null) throw new Error(`temp token scope ${scope.name}: route ${r.path} is not a clean path`);
    }
    this.scopes.set(scope.name, { ...scope, placeholder, routes: scope.routes.map((r) => ({ method: r.method.toUpperCase(), path: r.path })) });
  }

  get(name: string): TempTokenScope | undefined {
    return this.scopes.get(name);
  }

  names(): string[] {
    return [...this.scopes.keys()];
  }
}

export interface ValidatedTempToken {
  id: string;
  scope: string;
  resourceId: string;
}

export class TempTokenService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly registry: TempTokenRegistry,
  ) {}

  /** Mint a token for `resourceId` under `scope`, valid for `ttl` seconds (0 < ttl ≤ the scope's max). */
  async mint(scopeName: string, resourceId: string, ttl: number): Promise<{ token: string; id: string; expiresAt: number }> {
    const scope = this.registry.get(scopeName);
    if (!scope) throw new TempTokenError('unknown_scope', `unknown temp token scope ${scopeName}`);
    if (!(ttl > 0) || ttl > scope.maxTtl) throw new TempTokenError('ttl_out_of_range', `ttl must be more than 0 and at most ${scope.maxTtl} seconds`);
    if (!RESOURCE_ID_RE.test(resourceId)) throw new TempTokenError('invalid_resource', 'resource id must be 1–200 URL-safe characters without /');
    const s = mintSecret(TEMP_TOKEN_PREFIX);
    const now = nowS(this.clock);
    const expiresAt = now + Math.floor(ttl);
    await this.store.tempTokens.insert({ id: s.id, hash: s.hash, scope: scopeName, resourceId, createdAt: now, expiresAt, consumedAt: null });
    return { token: s.token, id: s.id, expiresAt };
  }

  /**
   * Check that `token` allows `method path`. The scope's routes, with the placeholder replaced by the
   * token's resource id, must equal the normalised request path exactly. Single-use tokens are consumed
   * atomically here: of concurrent validations exactly one wins.
   */
  async validate(token: string, method: string, path: string): Promise<ValidatedTempToken> {
    const parsed = typeof token === 'string' ? parseSecret(TEMP_TOKEN_PREFIX, token) : null;
    const row = parsed ? await this.store.tempTokens.get(parsed.id) : null;
    if (!row || !matchesHash(token, row.hash)) throw new TempTokenError('not_found', 'temp token not found');
    const now = nowS(this.clock);
    if (row.expiresAt <= now) throw new TempTokenError('expired', 'temp token expired');
    if (row.consumedAt !== null) throw new TempTokenError('not_found', 'temp token already used');
    const scope = this.registry.get(row.scope);
    if (!scope) throw new TempTokenError('unknown_scope', 'temp token scope is not registered');
    const normalized = normalizePath(path);
    const m = method.toUpperCase();
    const allowed =
      normalized !== null &&
      scope.routes.some((r) => r.method === m && r.path.replaceAll(scope.placeholder ?? DEFAULT_PLACEHOLDER, row.resourceId) === normalized);
    if (!allowed) throw new TempTokenError('route_not_allowed', 'the temp token does not allow this request');
    if (scope.singleUse && !(await this.store.tempTokens.consume(row.id, now))) throw new TempTokenError('not_found', 'temp token already used');
    return { id: row.id, scope: row.scope, resourceId: row.resourceId };
  }

  deleteByResource(scope: string, resourceId: string): Promise<number> {
    if (!scope || !resourceId) return Promise.resolve(0);
    return this.store.tempTokens.deleteByResource(scope, resourceId);
  }

  deleteExpired(before: number): Promise<number> {
    return this.store.tempTokens.deleteExpired(before);
  }
}

/** The built-in scope of invitation and password-reset links: one POST, once. */
export const SET_PASSWORD_SCOPE: TempTokenScope = {
  name: 'set_password',
  routes: [{ method: 'POST', path: '/set-password/{id}' }],
  maxTtl: 7 * 86400,
  singleUse: true,
};

/**
 * Scopes an operator declares for the HTTP API (TEMP_TOKEN_SCOPES): a JSON array of
 * `{"name", "routes": [{"method","path"}], "max_ttl": "15m" | seconds, "single_use": bool, "placeholder"?}`.
 * Throws with the reason; a bad declaration stops the server at start.
 */
export function parseScopeDeclarations(json: string, parseDuration: (s: string) => number | null): TempTokenScope[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    throw new Error('TEMP_TOKEN_SCOPES is not valid JSON');
  }
  if (!Array.isArray(list)) throw new Error('TEMP_TOKEN_SCOPES must be a JSON array of scopes');
  return list.map((raw, i) => {
    if (!raw || typeof raw !== 'object') throw new Error(`TEMP_TOKEN_SCOPES[${i}] must be an object`);
    const s = raw as Record<string, unknown>;
    const ttl = typeof s.max_ttl === 'number' ? s.max_ttl : typeof s.max_ttl === 'string' ? parseDuration(s.max_ttl) : null;
    if (ttl === null) throw new Error(`TEMP_TOKEN_SCOPES[${i}].max_ttl must be seconds or a duration such as 15m`);
    if (!Array.isArray(s.routes)) throw new Error(`TEMP_TOKEN_SCOPES[${i}].routes must be an array`);
    return {
      name: String(s.name ?? ''),
      routes: s.routes.map((r: unknown) => ({ method: String((r as RoutePattern)?.method ?? ''), path: String((r as RoutePattern)?.path ?? '') })),
      maxTtl: ttl,
      singleUse: s.single_use === true,
      placeholder: typeof s.placeholder === 'string' ? s.placeholder : undefined,
    };
  });
}

/** The registry every process builds the same way: the built-in scope plus the declared ones. */
export function buildRegistry(declared: TempTokenScope[]): TempTokenRegistry {
  const registry = new TempTokenRegistry();
  registry.register(SET_PASSWORD_SCOPE);
  for (const s of declared) registry.register(s);
  return registry;
}
