// The resource-server side: an OAuth gate in front of an existing MCP (or any HTTP) server.
// Serves RFC 9728 protected-resource metadata, answers unauthenticated requests with 401 and
// `WWW-Authenticate: Bearer resource_metadata=…, scope=…` (RFC 6750 §3, RFC 9728 §5.1), missing scopes
// with 403 insufficient_scope, verifies JWT access tokens locally against the issuer's JWKS with
// audience = the resource (RFC 8707, RFC 9068 §4) — DPoP-bound tokens only with a proof by their key
// (RFC 9449 §7) —, strips the caller's token (no passthrough) and
// streams the upstream response back (SSE included). On shutdown, long-lived streams (a GET answered with
// text/event-stream: MCP Streamable HTTP's listening stream) are ended cleanly at once; other responses,
// streamed or not, may finish until the proxy's SHUTDOWN_TIMEOUT.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { systemClock } from '../clock.ts';
import { DPOP_ALGS, DpopNonces, dpopHeader, InvalidDpopProof, type ProofDeps, UseDpopNonce, verifyProof } from '../domain/dpop.ts';

/** The gate's replay cache of DPoP proof ids (one process; bounded, oldest dropped first). */
function memoryJtis(): ProofDeps['store']['usedJtis'] {
  const seen = new Map<string, number>();
  return {
    async use(key, expiresAt, now) {
      const until = seen.get(key);
      if (until !== undefined && until > now) return false;
      if (seen.size >= 100_000) for (const [k, v] of seen) if (v <= now || seen.size >= 100_000) seen.delete(k);
      seen.set(key, expiresAt);
      return true;
    },
  };
}

export interface GateOptions {
  upstream: string;
  resource: string;
  issuer: string;
  scopes: string[];
  resourceName?: string;
  fetchTimeoutS?: number;
  /**
   * Token exchange mode (RFC 8693): instead of identity headers, the upstream gets an access token for
   * `audience`, exchanged for the caller's at the authorization server by this proxy's own client.
   */
  exchange?: { audience: string; clientId: string; clientSecret: string };
  /** RFC 9449 at the gate: refuse bearer tokens altogether, and/or require server nonces in proofs. */
  dpop?: { require?: boolean; nonce?: boolean; proofWindowS?: number };
}

export interface Identity {
  sub: string;
  clientId: string;
  scope: string[];
  /** The caller's access token (kept in memory for token exchange only; never forwarded). */
  token: string;
  exp: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);
const jsonError = (status: number, error: string, description: string) =>
  new Response(JSON.stringify({ error, error_description: description }), { status, headers: { 'Content-Type': 'application/json', ...CORS_HEADERS } });

/** Identity headers the gate sets; anything a caller sends under these names is dropped. */
export const IDENTITY_HEADERS = { subject: 'X-Auth-Subject', clientId: 'X-Auth-Client-Id', scope: 'X-Auth-Scope' } as const;

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID',
  'Access-Control-Expose-Headers': 'WWW-Authenticate, Mcp-Session-Id',
  'Access-Control-Max-Age': '86400',
};

function quote(v: string): string {
  return `"${v.replace(/["\\]/g, '')}"`;
}

/**
 * Response bodies that can be ended from outside: `end()` closes the stream as if the upstream had (the
 * client sees a complete chunked response, then the connection can close) and cancels the upstream read.
 */
class Streams {
  private open = new Set<() => void>();
  private ending = false;

  wrap(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    let done = false;
    let end = () => {};
    const finish = () => {
      done = true;
      this.open.delete(end);
    };
    return new ReadableStream<Uint8Array>({
      start: (c) => {
        end = () => {
          if (done) return;
          finish();
          c.close();
          reader.cancel().catch(() => {});
        };
        if (this.ending) queueMicrotask(end);
        else this.open.add(end);
      },
      pull: async (c) => {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) return;
        if (r.done) {
          finish();
          c.close();
        } else c.enqueue(r.value);
      },
      cancel: (reason) => {
        finish();
        return reader.cancel(reason);
      },
    });
  }

  /** End every stream now, and any opened from here on as soon as it starts. */
  endAll(): number {
    this.ending = true;
    const n = this.open.size;
    for (const end of [...this.open]) end();
    return n;
  }
}

export function createGate(opts: GateOptions) {
  const resource = new URL(opts.resource);
  const resourcePath = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const prmPath = `/.well-known/oauth-protected-resource${resourcePath}`;
  const prmUrl = `${resource.origin}${prmPath}`;
  const prm = JSON.stringify({
    resource: opts.resource,
    authorization_servers: [opts.issuer],
    scopes_supported: opts.scopes,
    bearer_methods_supported: ['header'],
    ...(opts.resourceName ? { resource_name: opts.resourceName } : {}),
  });
  const upstream = opts.upstream.replace(/\/$/, '');
  const listening = new Streams(); // GET event streams: ended at shutdown
  const answering = new Streams(); // every other streamed body: ended only when the shutdown times out

  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  let jwksLoading: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  const getJwks = () => {
    if (jwks) return Promise.resolve(jwks);
    jwksLoading ??= (async () => {
      // RFC 8414 §3.3: the metadata's issuer must be the issuer we were told to trust.
      const res = await fetch(`${opts.issuer}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout((opts.fetchTimeoutS ?? 5) * 1000) });
      const md = (await res.json()) as { issuer?: string; jwks_uri?: string };
      if (md.issuer !== opts.issuer || typeof md.jwks_uri !== 'string') throw new Error('authorization server metadata does not match the issuer');
      jwks = createRemoteJWKSet(new URL(md.jwks_uri), { timeoutDuration: (opts.fetchTimeoutS ?? 5) * 1000 });
      return jwks;
    })().finally(() => {
      jwksLoading = null;
    });
    return jwksLoading;
  };

  // DPoP (RFC 9449 §7): proofs checked like the server does, with a replay cache and nonces of the gate's own.
  const proofDeps: ProofDeps = {
    clock: systemClock,
    config: { dpopProofWindow: opts.dpop?.proofWindowS ?? 60, dpopNonce: !!opts.dpop?.nonce },
    store: { usedJtis: memoryJtis() },
    dpopNonces: new DpopNonces(undefined, systemClock),
  };

  /**
   * 401/403 with the challenges (RFC 6750 §3; RFC 9449 §7.1): Bearer — unless bearer tokens are refused — and
   * DPoP with the algorithms accepted. `scheme` says which challenge carries the error.
   */
  const challenge = (status: 401 | 403, error?: string, description?: string, scheme: 'Bearer' | 'DPoP' = 'Bearer', nonce?: string) => {
    const parts = [`resource_metadata=${quote(prmUrl)}`];
    if (opts.scopes.length) parts.push(`scope=${quote(opts.scopes.join(' '))}`);
    const err = [...(error ? [`error=${quote(error)}`] : []), ...(description ? [`error_description=${quote(description)}`] : [])];
    const body = error ? { error, error_description: description } : { error: 'unauthorized', error_description: 'an access token is required' };
    const headers = new Headers({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...CORS_HEADERS });
    if (!opts.dpop?.require) headers.append('WWW-Authenticate', `Bearer ${[...(scheme === 'Bearer' ? err : []), ...parts].join(', ')}`);
    // The DPoP challenge repeats the discovery parameters only when it is the only one.
    const dpopParts = [`algs=${quote(DPOP_ALGS.join(' '))}`, ...(scheme === 'DPoP' ? err : []), ...(opts.dpop?.require ? parts : [])];
    headers.append('WWW-Authenticate', `DPoP ${dpopParts.join(', ')}`);
    if (nonce) headers.set('DPoP-Nonce', nonce);
    return new Response(JSON.stringify(body), { status, headers });
  };

  async function authenticate(request: Request): Promise<Identity | Response> {
    const auth = request.headers.get('authorization');
    if (!auth) return challenge(401);
    const m = /^(Bearer|DPoP)\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(auth);
    if (!m) return challenge(401, 'invalid_request', 'malformed Authorization header');
    const scheme = m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = m[2]!;
    if (scheme === 'Bearer' && opts.dpop?.require) return challenge(401, 'invalid_token', 'bearer tokens are not accepted here: use DPoP', 'DPoP');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await getJwks(), { issuer: opts.issuer, audience: opts.resource, typ: 'at+jwt', algorithms: ['ES256', 'EdDSA'] }));
    } catch (e) {
      const msg =
        (e as { code?: string }).code === 'ERR_JWT_EXPIRED'
          ? 'the access token has expired'
          : (e as { code?: string }).code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
            ? 'the access token is not for this resource'
            : 'the access token is invalid';
      if (!(e as { code?: string }).code)
        return new Response(JSON.stringify({ error: 'temporarily_unavailable', error_description: 'cannot reach the authorization server' }), {
          status: 503,
          headers: { 'Content-Type': 'application/json', ...CORS_HEADERS },
        });
      return challenge(401, 'invalid_token', msg);
    }
    const bound = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
    // RFC 9449 §7.1: a bound token only with a proof by its key; a bearer presentation of it is refused.
    if (scheme === 'Bearer' && bound)
      return challenge(401, 'invalid_token', 'the access token is DPoP-bound: send it as Authorization: DPoP with a proof', 'DPoP');
    if (scheme === 'DPoP') {
      if (!bound) return challenge(401, 'invalid_token', 'the access token is not DPoP-bound', 'DPoP');
      const url = new URL(request.url);
      let jkt: string;
      try {
        const header = dpopHeader(request);
        if (!header) return challenge(401, 'invalid_dpop_proof', 'a DPoP proof is required with Authorization: DPoP', 'DPoP');
        // htu as the client saw it: the resource's public origin and the request's path.
        ({ jkt } = await verifyProof(proofDeps, header, { htm: request.method, htu: `${resource.origin}${url.pathname}`, accessToken: token }));
      } catch (e) {
        if (e instanceof UseDpopNonce) return challenge(401, 'use_dpop_nonce', e.description, 'DPoP', e.headers['DPoP-Nonce']);
        if (e instanceof InvalidDpopProof) return challenge(401, 'invalid_dpop_proof', e.description, 'DPoP');
        throw e;
      }
      if (jkt !== bound) return challenge(401, 'invalid_dpop_proof', 'the DPoP proof is not made with the key the token is bound to', 'DPoP');
    }
    const granted = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    const missing = opts.scopes.filter((s) => !granted.includes(s));
    if (missing.length) return challenge(403, 'insufficient_scope', `missing scope: ${missing.join(' ')}`);
    return { sub: String(payload.sub ?? ''), clientId: String(payload.client_id ?? ''), scope: granted, token, exp: Number(payload.exp ?? 0) };
  }

  // Exchanged tokens by caller token, reused until 30 s before they expire (bounded).
  const exchanged = new Map<string, { token: string; until: number }>();
  let tokenEndpoint: string | null = null;
  /** The upstream's token for this caller, or a Response to send instead (the AS refused, or is unreachable). */
  async function exchangeFor(who: Identity): Promise<string | Response> {
    const x = opts.exchange!;
    const hit = exchanged.get(who.token);
    if (hit && hit.until > Date.now()) return hit.token;
    try {
      if (!tokenEndpoint) {
        const md = (await (
          await fetch(`${opts.issuer}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout((opts.fetchTimeoutS ?? 5) * 1000) })
        ).json()) as {
          issuer?: string;
          token_endpoint?: string;
        };
        if (md.issuer !== opts.issuer || typeof md.token_endpoint !== 'string') throw new Error('authorization server metadata does not match the issuer');
        tokenEndpoint = md.token_endpoint;
      }
      const res = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${btoa(`${encodeURIComponent(x.clientId)}:${encodeURIComponent(x.clientSecret)}`)}`,
        },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: who.token,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          resource: x.audience,
        }),
        signal: AbortSignal.timeout((opts.fetchTimeoutS ?? 5) * 1000),
      });
      const body = (await res.json()) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
      if (res.status === 200 && typeof body.access_token === 'string') {
        if (exchanged.size >= 10_000) exchanged.delete(exchanged.keys().next().value!);
        exchanged.set(who.token, { token: body.access_token, until: Date.now() + Math.max(0, (body.expires_in ?? 0) - 30) * 1000 });
        return body.access_token;
      }
      // The subject token was revoked or its user removed since it was issued: the caller must sign in again.
      if (body.error === 'invalid_grant') return challenge(401, 'invalid_token', body.error_description ?? 'the access token is no longer valid');
      return jsonError(502, 'bad_gateway', `token exchange failed: ${body.error ?? res.status}${body.error_description ? `: ${body.error_description}` : ''}`);
    } catch (e) {
      return jsonError(503, 'temporarily_unavailable', `cannot reach the authorization server for token exchange: ${(e as Error).message}`);
    }
  }

  async function forward(request: Request, who: Identity): Promise<Response> {
    const url = new URL(request.url);
    const headers = new Headers();
    const identityNames = new Set(Object.values(IDENTITY_HEADERS).map((h) => h.toLowerCase()));
    request.headers.forEach((v, k) => {
      const key = k.toLowerCase();
      // No token passthrough (MCP security: the upstream never sees the caller's token).
      if (HOP_BY_HOP.has(key) || key === 'authorization' || key === 'dpop' || identityNames.has(key) || key === 'cookie') return;
      headers.set(k, v);
    });
    if (opts.exchange) {
      const token = await exchangeFor(who);
      if (token instanceof Response) return token;
      headers.set('Authorization', `Bearer ${token}`);
    } else {
      headers.set(IDENTITY_HEADERS.subject, who.sub);
      headers.set(IDENTITY_HEADERS.clientId, who.clientId);
      headers.set(IDENTITY_HEADERS.scope, who.scope.join(' '));
    }
    headers.set('X-Forwarded-Host', url.host);
    headers.set('X-Forwarded-Proto', url.protocol.replace(':', ''));
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    let res: Response;
    try {
      res = await fetch(`${upstream}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: hasBody ? request.body : undefined,
        redirect: 'manual',
        // @ts-expect-error Bun/undici: stream the request body
        duplex: 'half',
        decompress: false,
      });
    } catch {
      return new Response(JSON.stringify({ error: 'bad_gateway', error_description: 'the upstream server did not answer' }), {
        status: 502,
        headers: { 'Content-Type': 'application/json', ...CORS_HEADERS },
      });
    }
    const out = new Headers();
    res.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k.toLowerCase())) out.set(k, v);
    });
    for (const [k, v] of Object.entries(CORS_HEADERS)) out.set(k, v);
    const eventStream = (res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    const body = res.body ? (request.method === 'GET' && eventStream ? listening : answering).wrap(res.body) : null;
    return new Response(body, { status: res.status, statusText: res.statusText, headers: out });
  }

  return {
    prmPath,
    /** Shutdown, first step: end the long-lived event streams cleanly; how many there were. */
    endStreams: () => listening.endAll(),
    /** Shutdown, when SHUTDOWN_TIMEOUT has passed: end what is still streaming. */
    endAll: () => listening.endAll() + answering.endAll(),
    async fetch(request: Request): Promise<Response> {
      const path = new URL(request.url).pathname;
      if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS_HEADERS });
      // RFC 9728 §3.1: the metadata of a resource with a path is at the well-known URL with that path
      // inserted. The root form is served only for a resource without a path: a client that built the
      // root URL from the origin must reject a `resource` that differs from it (§3.3), so answering it
      // with `…/mcp` would only make such clients fail.
      if (request.method === 'GET' && (path === prmPath || (resourcePath === '' && path === '/.well-known/oauth-protected-resource'))) {
        return new Response(prm, { headers: { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=3600', ...CORS_HEADERS } });
      }
      if (path.startsWith('/.well-known/oauth-protected-resource')) {
        return new Response(JSON.stringify({ error: 'not_found', error_description: `the protected resource metadata is at ${prmPath}` }), {
          status: 404,
          headers: { 'Content-Type': 'application/json', ...CORS_HEADERS },
        });
      }
      const who = await authenticate(request);
      if (who instanceof Response) return who;
      return forward(request, who);
    },
  };
}
