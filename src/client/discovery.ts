// Client-side discovery for `auth login TARGET`: TARGET is an authorization server's issuer or a protected
// resource (an MCP server URL). For a resource: request it and read `WWW-Authenticate` → resource_metadata,
// else the RFC 9728 well-known URLs (path-suffixed, then root); then RFC 8414 metadata for the issuer with
// the OpenID discovery fallbacks in the order the MCP specification lists. The metadata's issuer must equal
// the issuer asked for; https is required except on loopback.
import { isHttpsOrLoopback, isLoopbackHost } from '../security/loopback.ts';

export interface AuthServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint: string;
  registration_endpoint?: string;
  revocation_endpoint?: string;
  device_authorization_endpoint?: string;
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  grant_types_supported?: string[];
  scopes_supported?: string[];
  auth_cli_client_id?: string;
  jwks_uri?: string;
  userinfo_endpoint?: string;
  /** RFC 9449 §5.1: the server binds tokens to DPoP keys. */
  dpop_signing_alg_values_supported?: string[];
  /** Set by discovery, not the server: the loopback URL that was asked for when the issuer names it otherwise. */
  aliasOf?: string;
}

export interface Discovery {
  issuer: string;
  metadata: AuthServerMetadata;
  /** RFC 8707 resource to ask for (the protected resource), when TARGET was one. */
  resource?: string;
  /** Scopes the resource asked for (WWW-Authenticate scope, else PRM scopes_supported). */
  resourceScopes: string[];
}

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
}

const TIMEOUT_MS = 10_000;

/**
 * TARGET as typed: `localhost:8080` or `auth.example.com` get a scheme — http:// on loopback (where a
 * development server has no TLS), https:// anywhere else.
 */
export function targetUrl(raw: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return raw;
  const host = raw.split(/[/?#]/)[0]!.replace(/:\d+$/, '');
  return `${isLoopbackHost(host) ? 'http' : 'https'}://${raw}`;
}

/** Why a request did not reach the server, as people say it: "connection refused", "host not found", … */
export function unreachable(e: unknown): string | null {
  const err = e as { code?: string; name?: string; message?: string };
  const code = err?.code ?? '';
  if (code === 'ConnectionRefused' || code === 'ECONNREFUSED') return 'connection refused';
  if (err?.name === 'TimeoutError' || code === 'ETIMEDOUT') return 'timed out';
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || /DNS|getaddrinfo|resolve/i.test(err?.message ?? '')) return 'host not found';
  if (code === 'ECONNRESET' || code === 'ConnectionClosed') return 'connection closed';
  if (/certificate|TLS|SSL/i.test(`${code} ${err?.message ?? ''}`)) return `TLS error: ${err?.message}`;
  if (e instanceof TypeError || code) return err?.message || code;
  return null;
}
const MAX_BYTES = 1024 * 1024;

/** https, or http on loopback only. */
export function checkSecureUrl(raw: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new DiscoveryError(`${what} is not a URL: ${raw}`);
  }
  if (!isHttpsOrLoopback(u)) throw new DiscoveryError(`${what} must use https (http only on loopback): ${raw}`);
  return u;
}

async function getJson(url: string): Promise<Record<string, unknown> | null> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Accept: 'application/json', 'MCP-Protocol-Version': '2025-11-25' },
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const why = unreachable(e);
    if (why && why !== 'connection closed') throw new DiscoveryError(`could not connect to ${new URL(url).origin} (${why})`);
    return null;
  }
  if (!res.ok) return null;
  const text = await res.text();
  if (text.length > MAX_BYTES) throw new DiscoveryError(`${url}: document too large`);
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** RFC 8414 §3 / MCP "authorization server discovery": the URLs to try, in order. */
export function metadataUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, '');
  if (!path) return [`${u.origin}/.well-known/oauth-authorization-server`, `${u.origin}/.well-known/openid-configuration`];
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ];
}

/** Fetch and check authorization server metadata for `issuer`; null when none of the URLs answers. */
export async function fetchAuthServerMetadata(issuer: string, allowAlias = true): Promise<AuthServerMetadata | null> {
  checkSecureUrl(issuer, 'the issuer');
  for (const url of metadataUrls(issuer)) {
    const md = await getJson(url);
    if (!md) continue;
    // RFC 8414 §3.3: the issuer in the document must be identical to the one used to build the URL.
    if (md.issuer !== issuer) {
      const named = typeof md.issuer === 'string' && URL.canParse(md.issuer) ? md.issuer : null;
      // The same loopback listener by another name (127.0.0.1:8080 for localhost:8080): start over from the
      // name the server gives itself, so its metadata is checked against exactly that issuer.
      if (named && sameLoopbackListener(issuer, named) && allowAlias) {
        const again = await fetchAuthServerMetadata(named, false);
        if (again) return { ...again, aliasOf: issuer } as AuthServerMetadata;
      }
      throw new DiscoveryError(
        `issuer mismatch: ${url} says the issuer is ${String(md.issuer)}, not ${issuer}${named ? `; if that is the server you meant, run: auth login ${named}` : ''}`,
      );
    }
    if (typeof md.token_endpoint !== 'string') throw new DiscoveryError(`metadata at ${url} has no token_endpoint`);
    const methods = md.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) throw new DiscoveryError('the server does not support PKCE S256');
    for (const k of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint', 'device_authorization_endpoint'] as const) {
      if (typeof md[k] === 'string') checkSecureUrl(md[k] as string, k);
    }
    return md as unknown as AuthServerMetadata;
  }
  return null;
}

/** Two http URLs on loopback host names (localhost, 127.0.0.1, [::1]) with the same port. */
function sameLoopbackListener(a: string, b: string): boolean {
  const x = new URL(a);
  const y = new URL(b);
  return (
    x.protocol === 'http:' &&
    y.protocol === 'http:' &&
    isLoopbackHost(x.hostname) &&
    isLoopbackHost(y.hostname) &&
    x.port === y.port &&
    x.pathname === y.pathname
  );
}

function parseChallenge(header: string | null): { resourceMetadata?: string; scope?: string } {
  if (!header || !/^Bearer\b/i.test(header)) return {};
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) out[m[1]!.toLowerCase()] = m[2]!;
  return { resourceMetadata: out.resource_metadata, scope: out.scope };
}

/** RFC 9728 §3.1 well-known URLs for a resource: path-suffixed, then root. */
export function protectedResourceUrls(target: string): string[] {
  const u = new URL(target);
  const path = u.pathname.replace(/\/$/, '');
  return path
    ? [`${u.origin}/.well-known/oauth-protected-resource${path}`, `${u.origin}/.well-known/oauth-protected-resource`]
    : [`${u.origin}/.well-known/oauth-protected-resource`];
}

export async function discover(target: string): Promise<Discovery> {
  const t = checkSecureUrl(target, 'the target');
  const normalized = t.href.replace(/\/+$/, '');

  // 1. A protected resource? Ask it, and read its challenge.
  let challenge: { resourceMetadata?: string; scope?: string } = {};
  try {
    const res = await fetch(normalized, {
      method: 'GET',
      headers: { Accept: 'application/json, text/event-stream' },
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (res.status === 401) challenge = parseChallenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
  } catch (e) {
    // A server that does not answer at all: say so now rather than "no metadata found".
    const why = unreachable(e);
    if (why && why !== 'connection closed') throw new DiscoveryError(`could not connect to ${t.origin} (${why})`);
  }
  const prmUrls = challenge.resourceMetadata ? [challenge.resourceMetadata] : protectedResourceUrls(normalized);
  for (const url of prmUrls) {
    checkSecureUrl(url, 'resource_metadata');
    const prm = await getJson(url);
    if (!prm) continue;
    const servers = prm.authorization_servers;
    if (!Array.isArray(servers) || typeof servers[0] !== 'string') throw new DiscoveryError(`${url} names no authorization server`);
    const resource = typeof prm.resource === 'string' ? prm.resource : normalized;
    // RFC 9728 §3.3: the metadata must be about the resource we asked for (same origin, path prefix).
    const r = new URL(resource);
    if (r.origin !== t.origin || !normalized.startsWith(resource.replace(/\/$/, '')))
      throw new DiscoveryError(`protected resource metadata is for ${resource}, not ${normalized}`);
    const issuer = servers[0] as string;
    const metadata = await fetchAuthServerMetadata(issuer);
    if (!metadata) throw new DiscoveryError(`no authorization server metadata for ${issuer}`);
    const scopes = challenge.scope ? challenge.scope.split(' ').filter(Boolean) : Array.isArray(prm.scopes_supported) ? (prm.scopes_supported as string[]) : [];
    return { issuer, metadata, resource, resourceScopes: scopes };
  }

  // 2. An authorization server's issuer.
  const metadata = await fetchAuthServerMetadata(normalized);
  if (metadata) return { issuer: metadata.issuer, metadata, resourceScopes: [] };
  throw new DiscoveryError(`${normalized} is neither a protected resource nor an authorization server (no metadata found)`);
}
