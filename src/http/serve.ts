// The request wrapper around both routers. The protocol endpoints clients call at volume (JWKS, token,
// introspection, revocation, device authorization, authorize, health) are plain handlers on Bun's native
// router (`Bun.serve({ routes })`); pages and the rest go through Elysia (`fetch`). Either way a request gets
// an id, errors become the same RFC responses (errorResponder), and one log line and one metrics sample are
// written. (Moving them off Elysia took metadata from ~57k to ~65k req/s and introspection from ~16k to ~19k
// in one profiling run, before the other changes of issue 9.)
//
// A route may instead be a `Response` fixed at start-up (the RFC 8414 metadata, unless LOG_METADATA): Bun
// serves it without running JavaScript — with 304 to a matching If-None-Match, and HEAD — so it gets no
// request id, log line or metrics sample, like a file behind a web server with its access log off. Only for
// public documents that never change while the process runs.
import type { Server } from 'bun';
import type { Config } from '../config.ts';
import type { Metrics } from '../domain/metrics.ts';
import type { Logger } from '../log.ts';
import { attachMeta, attachMetaTo, type RequestMeta } from './context.ts';
import { JSON_NO_STORE } from './headers.ts';
import { PayloadTooLarge } from './params.ts';

/** The largest request body any route reads (form bodies are capped lower, at 16 KiB, by formParams). */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Bun's own cap, set far above MAX_BODY_BYTES: Bun answers a Content-Length over its cap itself, without
 * running our code, so that answer would be neither logged nor counted. The wrapper enforces MAX_BODY_BYTES
 * instead (a declared length before anything is read, a chunked body while it streams).
 */
export const LISTENER_BODY_CEILING = Number.MAX_SAFE_INTEGER;

/** A protocol endpoint: the request in, the response out; errors are thrown (OAuthError & co). */
export type Handler = (request: Request) => Response | Promise<Response>;
/** Path → method → handler, or a fixed Response for GET (served by Bun, HEAD included, unlogged). Other
 * methods on these paths fall through to Elysia (404, CORS preflight). */
export type RouteTable = Record<string, { GET?: Handler | Response; POST?: Handler }>;

type OnError = (error: unknown, request: Request) => Response;
type BunRoute = (req: Request, srv: Server<undefined>) => Response | Promise<Response>;

const INTERNAL_ERROR = () => new Response('{"error":"server_error"}', { status: 500, headers: { 'Content-Type': 'application/json' } });

export function requestWrapper(config: Config, log: Logger, metrics: Metrics, onError: OnError) {
  const trustProxy = config.trustProxy;

  const finish = (req: Request, res: Response, meta: RequestMeta, path: string): Response => {
    try {
      res.headers.set('X-Request-Id', meta.id);
    } catch {
      // immutable headers (never for our own responses)
    }
    const ms = performance.now() - meta.start;
    metrics.request(path, res.status, ms / 1000);
    log.request({ method: req.method, path, status: res.status, durationMs: Math.round(ms * 100) / 100, requestId: meta.id, ip: meta.ip });
    return res;
  };

  /** A native route: logged under the route's own path. */
  const native =
    (path: string, handler: Handler): BunRoute =>
    (req, srv) => {
      const meta = attachMeta(req, srv, trustProxy);
      const refused = refuseMalformed(req);
      if (refused) return finish(req, refused, meta, path);
      req = capChunkedBody(req, meta);
      const failed = (e: unknown) => finish(req, safeError(onError, e, req, log, meta.id), meta, path);
      let out: Response | Promise<Response>;
      try {
        out = handler(req);
      } catch (e) {
        return failed(e);
      }
      if (out instanceof Promise) return out.then((res) => finish(req, res, meta, path), failed);
      return finish(req, out, meta, path);
    };

  /** Everything else: Elysia's composed handler (it maps its own errors through the same responder). */
  const fallback = (handle: (req: Request) => Response | Promise<Response>) => async (req: Request, srv: Server<undefined>) => {
    const meta = attachMeta(req, srv, trustProxy);
    const refused = refuseMalformed(req);
    if (refused) return finish(req, refused, meta, pathOf(req.url));
    req = capChunkedBody(req, meta);
    let res: Response;
    try {
      res = await handle(req);
    } catch (e) {
      log.error('request failed outside the app', { request_id: meta.id, error: String(e) });
      res = INTERNAL_ERROR();
    }
    const path = pathOf(req.url);
    return finish(req, res, meta, path);
  };

  return {
    routes(table: RouteTable): Record<string, Record<string, BunRoute | Response>> {
      const out: Record<string, Record<string, BunRoute | Response>> = {};
      for (const [path, methods] of Object.entries(table)) {
        out[path] = {};
        for (const [method, handler] of Object.entries(methods)) {
          if (handler) out[path][method] = handler instanceof Response ? handler : native(path, handler);
        }
      }
      return out;
    },
    fallback,
  };
}

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
 * A chunked body (no Content-Length) is counted as it streams: past MAX_BODY_BYTES the read fails with a
 * 413 PayloadTooLarge, so a route never buffers more than the cap. Requests with a declared length (nearly
 * all) pass through untouched.
 */
function capChunkedBody(req: Request, meta: RequestMeta): Request {
  if (req.body === null || req.headers.has('content-length')) return req;
  let seen = 0;
  const capped = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        seen += chunk.byteLength;
        if (seen > MAX_BODY_BYTES) out.error(new PayloadTooLarge(MAX_BODY_BYTES));
        else out.enqueue(chunk);
      },
    }),
  );
  const wrapped = new Request(req.url, { method: req.method, headers: req.headers, body: capped, signal: req.signal, duplex: 'half' } as RequestInit);
  attachMetaTo(wrapped, meta);
  return wrapped;
}

/** The responder itself must not take the server down: a failure there is a plain 500. */
function safeError(onError: OnError, e: unknown, req: Request, log: Logger, id: string): Response {
  try {
    return onError(e, req);
  } catch (inner) {
    log.error('error handler failed', { request_id: id, error: String(inner) });
    return INTERNAL_ERROR();
  }
}

export function pathOf(url: string): string {
  // Bun gives a bare path when the Host header is not an authority (refuseMalformed answers those).
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const q = url.indexOf('?', start);
  return url.slice(start, q < 0 ? undefined : q);
}
