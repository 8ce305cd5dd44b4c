// The OAuth client flows of `auth login`: dynamic registration (RFC 7591), the authorization code flow with
// PKCE S256 and `resource` on a 127.0.0.1 listener (RFC 8252 §7.3), checking `state` and `iss` (RFC 9207),
// the device flow (RFC 8628) honouring `interval` and `slow_down`, refresh (RFC 6749 §6) and revocation
// (RFC 7009).
import { spawn } from 'node:child_process';
import { timingSafeEqual, createHash } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import QRCode from 'qrcode';
import { randomToken } from '../security/random.ts';
import { type DpopKey, dpopProof, rememberNonce } from './dpop.ts';
import type { AuthServerMetadata } from './discovery.ts';

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  id_token?: string;
}

export class OAuthClientError extends Error {
  override name = 'OAuthClientError';
  constructor(
    message: string,
    readonly error?: string,
  ) {
    super(message);
  }
}

export type Say = (line: string) => void;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** POST a form; with a DPoP key, each attempt carries a fresh proof and a use_dpop_nonce answer is retried once. */
async function postForm(
  url: string,
  form: Record<string, string | string[] | undefined>,
  dpop?: DpopKey | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of v === undefined ? [] : Array.isArray(v) ? v : [v]) body.append(k, x);
  const send = async () =>
    fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        ...(dpop ? { DPoP: await dpopProof(dpop, 'POST', url) } : {}),
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  let res = await send();
  if (dpop && rememberNonce(dpop, url, res) && res.status === 400) {
    const first = await res
      .clone()
      .json()
      .catch(() => ({}));
    if ((first as { error?: string }).error === 'use_dpop_nonce') res = await send(); // RFC 9449 §8.2
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { error: 'invalid_response', error_description: `HTTP ${res.status} with a body that is not JSON` };
  }
  return { status: res.status, body: json };
}

function tokenOrThrow(r: { status: number; body: Record<string, unknown> }, what: string): TokenResponse {
  if (r.status === 200 && typeof r.body.access_token === 'string') return r.body as unknown as TokenResponse;
  const error = typeof r.body.error === 'string' ? r.body.error : `http_${r.status}`;
  throw new OAuthClientError(`${what} failed: ${error}${r.body.error_description ? `: ${r.body.error_description}` : ''}`, error);
}

/** RFC 7591 registration of a public native client with loopback redirects (any port, RFC 8252 §7.3). */
export async function registerPublicClient(metadata: AuthServerMetadata, redirectUris: string[], device: boolean): Promise<string> {
  if (!metadata.registration_endpoint) throw new OAuthClientError('the server does not support dynamic client registration; pass --client-id');
  const res = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      client_name: 'auth CLI',
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token', ...(device ? [DEVICE_GRANT] : [])],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if ((res.status !== 201 && res.status !== 200) || typeof body.client_id !== 'string') {
    throw new OAuthClientError(
      `registration failed: ${String(body.error ?? res.status)}${body.error_description ? `: ${body.error_description}` : ''}`,
      String(body.error ?? ''),
    );
  }
  return body.client_id;
}

function equalStrings(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page the browser shows after the redirect to the loopback listener: the authorization server's own
 * stylesheets when it serves ours (/static/style.css and the brand), a plain inline look otherwise.
 */
function page(title: string, text: string, issuer: string | null, ok = false): Response {
  const origin = issuer ? new URL(issuer).origin : null;
  const links = origin
    ? `<link rel="stylesheet" href="${escapeHtml(origin)}/static/style.css"><link rel="stylesheet" href="${escapeHtml(origin)}/static/brand.css">`
    : '';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,"><style>body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#f5f6f8;color:#1c1e21}main{max-width:28rem;margin:1rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002}h1{font-size:1.4rem;margin-top:0}</style>${links}</head><body><main class="card"><h1>${ok ? '✓ ' : ''}${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p><p class="muted">It is safe to close this tab.</p></main></body></html>`;
  return new Response(html, {
    status: ok ? 200 : 400,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'${origin ? ` ${origin}` : ''}`,
    },
  });
}

/** The browser command: $BROWSER (first of a colon-separated list; %s is the URL) or the platform opener. */
function browserCommand(url: string): string[] {
  const configured = process.env.BROWSER?.split(':').find((b) => b.trim());
  if (configured) {
    const parts = configured.trim().split(/\s+/);
    return parts.some((p) => p.includes('%s')) ? parts.map((p) => p.replace('%s', url)) : [...parts, url];
  }
  return [process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open', url];
}

/**
 * Open a URL in the person's browser. Resolves to null when it opened (the command exited 0, or is still
 * running after a moment, as a browser started directly does), else to why it did not.
 */
export function openBrowser(url: string): Promise<string | null> {
  const [cmd, ...args] = browserCommand(url);
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd!, args, { stdio: 'ignore', detached: true });
    } catch (e) {
      resolve(`${cmd}: ${(e as Error).message}`);
      return;
    }
    const settle = setTimeout(() => {
      child.unref();
      resolve(null);
    }, 1500);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(settle);
      resolve(e.code === 'ENOENT' ? `${cmd} is not installed` : `${cmd}: ${e.message}`);
    });
    child.on('exit', (code) => {
      clearTimeout(settle);
      resolve(code === 0 ? null : `${cmd} exited with status ${code}`);
    });
  });
}

export interface CodeFlowOptions {
  metadata: AuthServerMetadata;
  issuer: string;
  clientId: string;
  scopes: string[];
  resource?: string;
  port: number;
  browser: boolean;
  timeoutMs: number;
  say: Say;
  /** What to suggest when no browser could be opened (`auth login … --device`), if anything. */
  noBrowserHint?: string;
  /** The DPoP key the tokens are bound to (RFC 9449), or null for bearer tokens. */
  dpop?: DpopKey | null;
}

export interface Loopback {
  port: number;
  redirectUri: string;
  /** Stop after the last answer has been written (the browser sees the result page). */
  stop(): Promise<void>;
  /** The issuer whose stylesheets the result page uses. */
  issuer: string | null;
  /** The handler of GET /callback; until set, callbacks are refused. */
  onCallback(fn: (url: URL) => Response): void;
}

/** Start the loopback listener first: its port is part of the redirect URI (and of a registration). */
export function startLoopback(port: number): Loopback {
  let handler: ((url: URL) => Response) | null = null;
  const server = Bun.serve({
    port,
    hostname: '127.0.0.1', // never 0.0.0.0: only this machine may deliver the code
    reusePort: false,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname !== '/callback') return new Response('not found', { status: 404 });
      return handler ? handler(url) : page('Sign-in failed', 'This login is not waiting for a response.', loopback.issuer);
    },
  });
  const loopback: Loopback = {
    issuer: null,
    port: server.port!,
    redirectUri: `http://127.0.0.1:${server.port}/callback`,
    stop: () => server.stop(false),
    onCallback(fn) {
      handler = fn;
    },
  };
  return loopback;
}

export async function codeFlow(o: CodeFlowOptions, loopback: Loopback): Promise<TokenResponse> {
  if (!o.metadata.authorization_endpoint) throw new OAuthClientError('the server has no authorization endpoint; try --device');
  const verifier = randomToken(32);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomToken(24);
  const url = new URL(o.metadata.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', o.clientId);
  url.searchParams.set('redirect_uri', loopback.redirectUri);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (o.scopes.length) url.searchParams.set('scope', o.scopes.join(' '));
  if (o.resource) url.searchParams.set('resource', o.resource);
  // RFC 9449 §10: bind the code to the key, so only this key can exchange it.
  if (o.dpop)
    url.searchParams.set('dpop_jkt', await calculateJwkThumbprint({ kty: o.dpop.jwk.kty, crv: o.dpop.jwk.crv, x: o.dpop.jwk.x, y: o.dpop.jwk.y }, 'sha256'));

  loopback.issuer = o.issuer;
  const fail0 = (t: string, m: string) => page(t, m, o.issuer);
  const code = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new OAuthClientError(`no answer from the browser within ${Math.round(o.timeoutMs / 1000)} s; run auth login again (or use --device)`)),
      o.timeoutMs,
    );
    const fail = (message: string, error?: string) => {
      clearTimeout(timer);
      reject(new OAuthClientError(message, error));
    };
    loopback.onCallback((cb) => {
      const p = cb.searchParams;
      // RFC 6749 §10.12: the state must be the one we sent (CSRF).
      if (!equalStrings(p.get('state') ?? '', state)) {
        fail('the callback state does not match (possible CSRF); sign-in aborted', 'state_mismatch');
        return fail0('Sign-in failed', 'The response did not match this login attempt. See the terminal.');
      }
      // RFC 9207 §2.4: the iss must be the issuer we talk to (mix-up defence).
      const iss = p.get('iss');
      if ((iss !== null || o.metadata.authorization_response_iss_parameter_supported) && iss !== o.issuer) {
        fail(`the callback came from another issuer (${iss ?? 'none'}); sign-in aborted`, 'iss_mismatch');
        return fail0('Sign-in failed', 'The response came from an unexpected server. See the terminal.');
      }
      const error = p.get('error');
      if (error) {
        fail(`the server answered ${error}${p.get('error_description') ? `: ${p.get('error_description')}` : ''}`, error);
        return fail0('Sign-in failed', 'The server refused the request. See the terminal.');
      }
      const c = p.get('code');
      if (!c) {
        fail('the callback has no code');
        return fail0('Sign-in failed', 'No authorization code was received. See the terminal.');
      }
      clearTimeout(timer);
      resolve(c);
      return page('Signed in', 'You are signed in; return to the terminal.', o.issuer, true);
    });
    if (!o.browser) {
      o.say(`Open this URL in a browser to sign in:\n  ${url}`);
      return;
    }
    void openBrowser(url.toString()).then((why) => {
      if (why === null) o.say(`Opened your browser to sign in. If nothing appears, visit:\n  ${url}`);
      else
        o.say(
          `Could not open a browser (${why}). Open this URL to sign in:\n  ${url}${o.noBrowserHint ? `\nNo browser on this machine? ${o.noBrowserHint}` : ''}`,
        );
    });
  });
  const r = await postForm(
    o.metadata.token_endpoint,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: loopback.redirectUri,
      client_id: o.clientId,
      code_verifier: verifier,
      resource: o.resource,
    },
    o.dpop,
  );
  return tokenOrThrow(r, 'the code exchange');
}

export interface DeviceFlowOptions {
  metadata: AuthServerMetadata;
  clientId: string;
  scopes: string[];
  resource?: string;
  say: Say;
  /** Live indicator, countdown and bold code on a terminal; dots otherwise. */
  tty: boolean;
  /** Draw verification_uri_complete as a QR code. */
  qr: boolean;
  /** Open the browser at verification_uri_complete. */
  open: boolean;
  dpop?: DpopKey | null;
}

export async function deviceFlow(o: DeviceFlowOptions): Promise<TokenResponse> {
  if (!o.metadata.device_authorization_endpoint) throw new OAuthClientError('the server does not offer the device flow');
  const start = await postForm(o.metadata.device_authorization_endpoint, {
    client_id: o.clientId,
    scope: o.scopes.length ? o.scopes.join(' ') : undefined,
    resource: o.resource,
  });
  if (start.status !== 200 || typeof start.body.device_code !== 'string') {
    const error = String(start.body.error ?? `http_${start.status}`);
    throw new OAuthClientError(`device authorization failed: ${error}${start.body.error_description ? `: ${start.body.error_description}` : ''}`, error);
  }
  const b = start.body as Record<string, string | number>;
  const userCode = String(b.user_code);
  const complete = typeof b.verification_uri_complete === 'string' ? b.verification_uri_complete : null;
  // The code large and spaced on a terminal, so it is read right at a glance; as is otherwise.
  const shown = o.tty ? `\x1b[1m${[...userCode].join(' ')}\x1b[0m` : userCode;
  o.say(`To sign in, open ${b.verification_uri} on any device and enter the code:\n\n    ${shown}\n`);
  if (complete) {
    if (o.qr) o.say(`or scan this QR code, or open ${complete}\n\n${await QRCode.toString(complete, { type: 'terminal', small: true })}`);
    else o.say(`(or open ${complete})`);
  }
  if (o.open) {
    const why = await openBrowser(complete ?? String(b.verification_uri));
    if (why) o.say(`Could not open a browser (${why}).`);
  }
  let interval = Number(b.interval ?? 5);
  const deadline = Date.now() + Number(b.expires_in ?? 600) * 1000;
  const spinner = ['|', '/', '-', '\\'];
  let tick = 0;
  while (Date.now() < deadline) {
    // Wait the interval, showing that we are alive and how long the code has left.
    const until = Date.now() + interval * 1000;
    while (Date.now() < until) {
      if (o.tty) {
        const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        process.stderr.write(
          `\r\x1b[K${spinner[tick++ % 4]} waiting for approval; the code expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`,
        );
      }
      await Bun.sleep(Math.min(250, Math.max(0, until - Date.now())));
    }
    const r = await postForm(o.metadata.token_endpoint, { grant_type: DEVICE_GRANT, device_code: String(b.device_code), client_id: o.clientId }, o.dpop);
    if (r.status === 200) {
      if (o.tty) process.stderr.write('\r\x1b[K');
      return tokenOrThrow(r, 'the device flow');
    }
    const error = String(r.body.error ?? '');
    if (error === 'authorization_pending') {
      if (!o.tty) process.stderr.write('.');
      continue;
    }
    if (error === 'slow_down') {
      interval += 5; // RFC 8628 §3.5
      continue;
    }
    if (o.tty) process.stderr.write('\r\x1b[K');
    if (error === 'access_denied') throw new OAuthClientError('the request was denied on the verification page', error);
    if (error === 'expired_token') throw new OAuthClientError('the code expired before it was approved; run auth login again', error);
    tokenOrThrow(r, 'the device flow');
  }
  throw new OAuthClientError('the code expired before it was approved; run auth login again', 'expired_token');
}

export async function refreshTokens(
  tokenEndpoint: string,
  clientId: string,
  refreshToken: string,
  resource?: string,
  dpop?: DpopKey | null,
): Promise<TokenResponse> {
  const r = await postForm(tokenEndpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, resource }, dpop);
  return tokenOrThrow(r, 'the refresh');
}

export async function revokeToken(endpoint: string, clientId: string, token: string, hint: string): Promise<void> {
  const r = await postForm(endpoint, { token, token_type_hint: hint, client_id: clientId });
  if (r.status !== 200) throw new OAuthClientError(`revocation failed: ${String(r.body.error ?? r.status)}`);
}
