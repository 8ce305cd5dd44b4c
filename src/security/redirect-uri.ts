// Redirect URI rules: what may be registered (RFC 6749 §3.1.2, RFC 8252 §7, OAuth 2.1 §2.3) and how a
// requested URI is matched against the registered ones (exact, except loopback on any port, RFC 8252 §7.3).
import { isLoopbackHost } from './loopback.ts';

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'about:', 'blob:', 'ws:', 'wss:', 'ftp:']);
// RFC 3986 §3.1 scheme syntax.
const SCHEME_RE = /^[a-z][a-z0-9+.-]*:$/;

function parse(uri: string): URL | null {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > 2000) return null;
  try {
    return new URL(uri);
  } catch {
    return null;
  }
}

export type RedirectUriProblem = 'malformed' | 'fragment' | 'scheme' | 'http_not_loopback';

/**
 * Whether `uri` may be registered as a redirect URI: an absolute URI without a fragment
 * (RFC 6749 §3.1.2), https, or http only on a loopback host (RFC 8252 §7.3), or a private-use scheme
 * for native apps such as `cursor://` or `com.example.app:/cb` (RFC 8252 §7.1).
 */
export function checkRedirectUri(uri: string): RedirectUriProblem | null {
  const url = parse(uri);
  if (!url) return 'malformed';
  if (uri.includes('#')) return 'fragment';
  const scheme = url.protocol;
  if (!SCHEME_RE.test(scheme) || FORBIDDEN_SCHEMES.has(scheme)) return 'scheme';
  if (scheme === 'https:') return url.hostname ? null : 'malformed';
  if (scheme === 'http:') return isLoopbackHost(url.hostname) ? null : 'http_not_loopback';
  return null; // private-use scheme
}

/**
 * RFC 6749 §3.1.2.3 / OAuth 2.1 §2.3.1: exact string comparison, except that for a loopback redirect
 * the port is ignored (RFC 8252 §7.3) — scheme, host, path and query must still be identical.
 * Returns the registered entry that matched, or null.
 */
export function matchRedirectUri(registered: readonly string[], requested: string): string | null {
  for (const r of registered) if (r === requested) return r;
  const req = parse(requested);
  if (req?.protocol !== 'http:' || !isLoopbackHost(req.hostname) || requested.includes('#')) return null;
  for (const r of registered) {
    const reg = parse(r);
    if (reg?.protocol !== 'http:' || !isLoopbackHost(reg.hostname)) continue;
    if (reg.hostname.toLowerCase() !== req.hostname.toLowerCase()) continue;
    if (reg.pathname === req.pathname && reg.search === req.search && !req.username && !req.password) return r;
  }
  return null;
}
