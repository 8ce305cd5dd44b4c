// Scopes (RFC 6749 §3.3) and resource indicators (RFC 8707 §2).
import { isHttpsOrLoopback } from '../security/loopback.ts';
import type { Config } from '../config.ts';
import type { ClientRow } from '../store/store.ts';
import { InvalidScope, InvalidTarget } from './errors.ts';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Split a scope string; malformed → invalid_scope. Order kept, duplicates dropped. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const parts = scope.split(' ').filter(Boolean);
  for (const p of parts) if (!SCOPE_TOKEN.test(p)) throw new InvalidScope('malformed scope');
  return [...new Set(parts)];
}

/** The scopes a client may be granted: its registered list, or every scope the server knows. */
export function allowedScopes(config: Config, client: ClientRow): string[] {
  return client.scopes.length ? client.scopes.filter((s) => config.scopes.includes(s)) : config.scopes;
}

/**
 * Resolve requested scopes for a client. Omitted scope → the client's registered scopes (RFC 6749 §3.3
 * allows a default), or none. Anything not allowed → invalid_scope.
 */
export function resolveScopes(config: Config, client: ClientRow, requested: string | undefined): string[] {
  const allowed = allowedScopes(config, client);
  if (requested === undefined) return client.scopes.filter((s) => allowed.includes(s));
  const wanted = parseScope(requested);
  const bad = wanted.filter((s) => !allowed.includes(s));
  if (bad.length) throw new InvalidScope(`scope not allowed for this client: ${bad.join(' ')}`);
  return wanted;
}

/** Narrowing only: `requested` must be a subset of `granted` (RFC 6749 §6). */
export function narrowScopes(granted: string[], requested: string | undefined): string[] {
  if (requested === undefined) return granted;
  const wanted = parseScope(requested);
  const extra = wanted.filter((s) => !granted.includes(s));
  if (extra.length) throw new InvalidScope(`scope exceeds the original grant: ${extra.join(' ')}`);
  return wanted;
}

/**
 * RFC 8707 §2: each resource is an absolute URI without a fragment. With RESOURCES configured, only
 * those; otherwise any https URI, or http on loopback. Returns the sorted, de-duplicated list.
 */
export function validateResources(config: Config, resources: string[]): string[] {
  for (const r of resources) {
    if (config.resources.includes(r)) continue; // configured ones were checked at start (config.ts)
    let u: URL;
    try {
      u = new URL(r);
    } catch {
      throw new InvalidTarget('resource must be an absolute URI');
    }
    if (r.includes('#')) throw new InvalidTarget('resource must not contain a fragment');
    if (config.resources.length) {
      if (!config.resources.includes(r)) throw new InvalidTarget(`resource not served here: ${r}`);
    } else if (!isHttpsOrLoopback(u)) {
      throw new InvalidTarget('resource must be https (or http on loopback)');
    }
  }
  if (resources.length < 2) return resources;
  return [...new Set(resources)].sort();
}

/** `aud` of an access token: the resources, or the default audience. */
export function audienceFor(config: Config, resources: string[]): string | string[] {
  if (resources.length === 0) return config.defaultAudience;
  return resources.length === 1 ? resources[0]! : resources;
}
