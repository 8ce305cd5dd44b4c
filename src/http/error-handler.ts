// The one place errors become responses. OAuthError → RFC 6749 §5.2 JSON, or on a page route an error page;
// an authorization error → the RFC 6749 §4.1.2.1 redirect when the redirect URI is verified, else a page;
// Elysia VALIDATION/PARSE → 400 invalid_request naming the parameter (never 422 with a schema dump);
// unknown route → 404 JSON (a page for a browser); anything else → 500 server_error with a short id, the stack only in the log.
import type { TSchema } from '@sinclair/typebox';
import { Elysia } from 'elysia';
import { AuthorizeError, OAuthError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../domain/metrics.ts';
import { StoreUnavailableError } from '../store/store.ts';
import { requestMeta } from './context.ts';
import { describeParamError } from './input.ts';
import { pathOf } from './serve.ts';
import { CORS, CORS_PATHS, JSON_NO_STORE } from './headers.ts';
import { errorPage } from './render.ts';
import type { BrandKit } from './brand.ts';

export function oauthErrorResponse(e: OAuthError, request?: Request): Response {
  const cors = request && CORS_PATHS.has(pathOf(request.url)) ? CORS : {};
  return new Response(JSON.stringify(e.toJSON()), { status: e.status, headers: { ...JSON_NO_STORE, ...cors, ...e.headers } });
}

/** RFC 6749 §4.1.2.1 error redirect, with `state` and RFC 9207 `iss`. */
export function authorizeErrorRedirect(e: AuthorizeError, issuer: string): Response {
  const url = new URL(e.redirectUri!);
  url.searchParams.set('error', e.error);
  if (e.description) url.searchParams.set('error_description', e.description);
  if (e.state !== undefined) url.searchParams.set('state', e.state);
  url.searchParams.set('iss', issuer);
  return new Response(null, { status: 302, headers: { Location: url.toString(), 'Cache-Control': 'no-store' } });
}

/** Wants HTML: a browser navigating to a page (Accept lists text/html before JSON). */
function wantsHtml(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('text/html');
}

export interface ErrorOptions {
  log: Logger;
  issuer: string;
  https: boolean;
  metrics: Metrics;
  brand: BrandKit;
  /** Routes whose errors are pages for a person (sign-in, consent, device, account), by registered path. */
  pageRoutes?: ReadonlySet<string>;
}

/** Any error thrown while serving a request → its response (`code` and `route` as Elysia's onError gives them). */
export function errorResponder(opts: ErrorOptions) {
  return (error: unknown, request: Request, code?: string | number, route?: string): Response => {
    // An OAuth error thrown while reading the body (too large, not UTF-8) reaches here wrapped by Elysia.
    if (code === 'PARSE' && (error as Error).cause instanceof OAuthError) error = (error as Error).cause;
    else if (code === 'VALIDATION' || code === 'PARSE') error = asInvalidRequest(error, code);
    if (error instanceof OAuthError) opts.metrics.oauthError(error.error);
    if (error instanceof AuthorizeError) {
      if (error.redirectable && error.redirectUri) return authorizeErrorRedirect(error, opts.issuer);
      return errorPage(opts.brand, opts.https, error.status, error.error, error.description, requestMeta(request).id);
    }
    if (error instanceof StoreUnavailableError) {
      // The database is down, locked, read-only or full: tell the client to retry; the server recovers by itself.
      opts.log.warn('store unavailable', { request_id: requestMeta(request).id, error: error.message });
      const unavailable = new OAuthError('temporarily_unavailable', 'the service is temporarily unavailable; retry shortly', 503);
      unavailable.headers['Retry-After'] = '5';
      if (wantsHtml(request)) return errorPage(opts.brand, opts.https, 503, unavailable.error, unavailable.description, requestMeta(request).id);
      return oauthErrorResponse(unavailable, request);
    }
    if (error instanceof OAuthError) {
      if (route !== undefined && opts.pageRoutes?.has(route)) {
        // A person's page: the error is a page (with Retry-After for 429; no bearer challenge on a page).
        const page = errorPage(opts.brand, opts.https, error.status, error.error, error.description, requestMeta(request).id);
        for (const [k, v] of Object.entries(error.headers)) if (k !== 'WWW-Authenticate') page.headers.set(k, v);
        return page;
      }
      if (wantsHtml(request) && request.method === 'GET') {
        const page = errorPage(opts.brand, opts.https, error.status, error.error, error.description);
        for (const [k, v] of Object.entries(error.headers)) page.headers.set(k, v); // Retry-After, WWW-Authenticate
        return page;
      }
      return oauthErrorResponse(error, request);
    }
    switch (code) {
      case 'NOT_FOUND':
        // A browser gets a page; API clients keep the JSON answer.
        if (wantsHtml(request) && (request.method === 'GET' || request.method === 'HEAD'))
          return errorPage(opts.brand, opts.https, 404, 'not_found', 'There is no page at this address.', requestMeta(request).id);
        return new Response(JSON.stringify({ error: 'not_found', error_description: 'no such endpoint' }), { status: 404, headers: JSON_NO_STORE });
    }
    const status = (error as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Elysia's own client errors (e.g. body too large, bad cookie): keep the status, RFC-shaped body.
      return new Response(JSON.stringify({ error: 'invalid_request', error_description: `request rejected (${status})` }), { status, headers: JSON_NO_STORE });
    }
    const id = requestMeta(request).id;
    const err = error as Error;
    opts.log.error('unhandled error', { request_id: id, path: pathOf(request.url), error: String(err?.message ?? err), stack: err?.stack });
    return new Response(JSON.stringify({ error: 'server_error', error_description: `internal error (id ${id})` }), { status: 500, headers: JSON_NO_STORE });
  };
}

export function errorHandler(respond: ReturnType<typeof errorResponder>) {
  return new Elysia({ name: 'error-handler' }).onError({ as: 'global' }, ({ code, error, request, set, route }) => {
    const response = respond(error, request, code, route);
    const meta = requestMeta(request);
    meta.status = response.status; // what the request lifecycle logs and counts
    response.headers.set('X-Request-Id', meta.id);
    // The Response carries its own status and headers. A status left in `set` (Elysia puts the error's
    // there) would make Elysia copy the Response into a new one (http/serve.ts).
    set.status = 200;
    return response;
  });
}

/**
 * A route's input that failed its schema (http/input.ts) or could not be parsed → invalid_request, naming
 * the parameter without echoing its value or the schema.
 */
function asInvalidRequest(error: unknown, code: 'VALIDATION' | 'PARSE'): OAuthError {
  if (code === 'PARSE') return new OAuthError('invalid_request', 'the request body could not be parsed');
  const e = error as { type?: string; value?: unknown; valueError?: { path?: string }; validator?: { schema?: { properties?: Record<string, TSchema> } } };
  const name = (e.valueError?.path ?? '').split('/')[1] ?? '';
  if (!name) return new OAuthError('invalid_request', 'the body must be a JSON object');
  const value = e.value && typeof e.value === 'object' ? (e.value as Record<string, unknown>)[name] : undefined;
  // Headers are checked in input.ts (headerCheck), which names them itself; Elysia validates bodies, queries and path segments.
  const noun = e.type === 'params' ? 'path segment' : 'parameter';
  return new OAuthError('invalid_request', describeParamError(name, value, e.validator?.schema?.properties?.[name], noun));
}
