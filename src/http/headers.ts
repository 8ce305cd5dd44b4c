// Response headers shared by routes: no-store for anything carrying a secret, security headers for pages,
// CORS (without credentials) for the endpoints browser-based clients call.

export const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export const JSON_NO_STORE = { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE } as const;

/**
 * CORS on actual responses: any origin, no credentials, and WWW-Authenticate readable by the page. The
 * Allow-Methods / Allow-Headers / Max-Age headers are read only from a preflight (Fetch standard, "CORS
 * protocol"), so they go on the OPTIONS answer alone (CORS_PREFLIGHT) — fewer bytes on every response.
 */
export const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'WWW-Authenticate, DPoP-Nonce',
} as const;

export const CORS_PREFLIGHT = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version, DPoP',
  'Access-Control-Max-Age': '86400',
} as const;

/** `imgOrigin`: a configured external logo's origin (BRAND_LOGO_URL), the one outside source a page may load. */
export function pageHeaders(https: boolean, imgOrigin: string | null = null): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': 'text/html; charset=utf-8',
    // No inline script anywhere: scripts come from /static only.
    'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:${imgOrigin ? ` ${imgOrigin}` : ''}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    ...NO_STORE,
  };
  if (https) h['Strict-Transport-Security'] = 'max-age=31536000';
  return h;
}

/** Paths that browser-based clients call cross-origin (DESIGN.md: never /authorize or pages). */
export const CORS_PATHS = new Set([
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/jwks.json',
  '/.well-known/jwks.json',
  '/token',
  '/oauth/token',
  '/userinfo',
  '/register',
  '/revoke',
  '/oauth/revoke',
  '/device_authorization',
  '/oauth/device/code',
]);

export function corsPreflight(): Response {
  return new Response(null, { status: 204, headers: CORS_PREFLIGHT });
}

/** JSON, no-store and CORS together (token, device authorization), built once. */
export const JSON_NO_STORE_CORS = { ...JSON_NO_STORE, ...CORS } as const;

/**
 * RFC 9110 §13.1.2: does an If-None-Match header match the current entity tag? `*` matches any current
 * representation; otherwise a comma-separated list of entity tags compared weakly (§8.8.3.2: `W/` ignored).
 */
export function ifNoneMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  for (const part of header.split(',')) {
    const tag = part.trim();
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}
