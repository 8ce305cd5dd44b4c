// The request lifecycle, as an Elysia plugin applied once to the one app (src/app.ts): every request gets an
// id (X-Request-Id, echoed when the client sent a usable one) and its client address; a request with a Host
// that is not an authority or a declared body over the cap is answered before any route runs; a response
// made in the request's own event-loop turn leaves with the others of that turn (response-gate.ts); after
// the response, one log line and one metrics sample.
//
// A route may instead be a `Response` fixed at start-up (the RFC 8414 metadata, unless LOG_METADATA,
// routes/discovery.ts): it is handed to Bun as a static route, which answers without running JavaScript — with 304 to a matching
// If-None-Match, and HEAD — so it gets no request id, log line or metrics sample, like a file behind a web
// server with its access log off. Only for public documents that never change while the process runs.
import { Elysia } from 'elysia';
import type { Metrics } from '../domain/metrics.ts';
import type { Logger } from '../log.ts';
import { attachMeta, type PeerSource, requestMeta } from './context.ts';
import { JSON_NO_STORE } from './headers.ts';
import { responseGate } from './response-gate.ts';

/** The largest request body any route reads (form and JSON bodies are capped lower, at 16 KiB, when read). */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Bun's own cap, set far above MAX_BODY_BYTES: Bun answers a Content-Length over its cap itself, without
 * running our code, so that answer would be neither logged nor counted. The lifecycle refuses a declared
 * length over MAX_BODY_BYTES instead, and the body readers (http/body.ts) cap what they read.
 */
export const LISTENER_BODY_CEILING = Number.MAX_SAFE_INTEGER;

const badRequest = (status: number, description: string) =>
  new Response(JSON.stringify({ error: 'invalid_request', error_description: description }), { status, headers: JSON_NO_STORE });

/**
 * Requests refused before any route runs:
 *  - a Host header that is not a valid authority (RFC 9112 §3.2: "A server MUST respond with a 400 (Bad
 *    Request) status code to any HTTP/1.1 request message that lacks a Host header field and to any request
 *    message that contains … a Host header field with an invalid field value"). Bun then hands over a
 *    `request.url` that is only a path, or an absolute URL that does not parse (`[::1`, port 99999), which
 *    every later `new URL(request.url)` would throw on;
 *  - a declared body over MAX_BODY_BYTES (RFC 9110 §15.5.14: 413), before a byte of it is read.
 */
export function refuseMalformed(req: Request): Response | null {
  const url = req.url;
  if (url.charCodeAt(0) === 47 /* "/" */ || !URL.canParse(url)) return badRequest(400, 'the Host header is not a valid authority');
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) return badRequest(413, `request body too large (at most ${MAX_BODY_BYTES} bytes)`);
  return null;
}

/**
 * Request id, client address, the early refusals, and one log line and metrics sample per request.
 *
 * `peer` gives the listening server (the client's address). It is not read from Elysia's context: a hook
 * that reads `server` there makes every route handler define a getter on its context per request.
 *
 * The id goes onto the route's own Response (onAfterHandle; the error handler does the same for errors), not
 * into `set.headers`: with anything in `set.headers`, or a status in `set.status`, Elysia copies every
 * Response a route returns into a new one (headers and body); avoiding that measured 1.10–1.16× the
 * requests per second (docs/benchmarks.md).
 */
export function requestLifecycle(opts: { trustProxy: boolean; log: Logger; metrics: Metrics; peer: () => PeerSource | null | undefined }) {
  const { trustProxy, log, metrics, peer } = opts;
  const finish = (req: Request, status: number) => {
    const meta = requestMeta(req);
    const path = pathOf(req.url);
    const ms = performance.now() - meta.start;
    metrics.request(req.method, path, status, ms / 1000);
    log.request({ method: req.method, path, status, durationMs: Math.round(ms * 100) / 100, requestId: meta.id, ip: meta.ip });
  };
  const noPeer: PeerSource = { requestIP: () => null };
  return new Elysia({ name: 'request-lifecycle' })
    .onRequest(({ request }) => {
      const meta = attachMeta(request, peer() ?? noPeer, trustProxy);
      meta.turn = responseGate.arrive();
      const refused = refuseMalformed(request);
      if (refused) {
        // Answered here, so no later hook sees it: logged and counted now.
        refused.headers.set('X-Request-Id', meta.id);
        finish(request, refused.status);
        return refused;
      }
    })
    .onAfterHandle({ as: 'global' }, async ({ request, response, set }) => {
      const meta = requestMeta(request);
      if (response instanceof Response) response.headers.set('X-Request-Id', meta.id);
      else set.headers['x-request-id'] = meta.id; // a value Elysia turns into a Response with `set`
      const held = responseGate.hold(meta.turn);
      if (held) await held;
    })
    .onAfterResponse({ as: 'global' }, ({ request, response, set }) => {
      const status = response instanceof Response ? response.status : (requestMeta(request).status ?? (typeof set.status === 'number' ? set.status : 200));
      finish(request, status);
    });
}

export function pathOf(url: string): string {
  // Bun gives a bare path when the Host header is not an authority (refuseMalformed answers those).
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const q = url.indexOf('?', start);
  return url.slice(start, q < 0 ? undefined : q);
}
