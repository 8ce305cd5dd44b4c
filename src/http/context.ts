// Per-request facts the request lifecycle (serve.ts) learns first: id, client IP, start time.
import type { RequestOrigin } from '../domain/tokens.ts';
import { randomId } from '../security/random.ts';

// Request ids need to be unique, not unpredictable: a random per-process prefix and a counter.
const PREFIX = randomId(6);
let counter = 0;
const nextId = () => `${PREFIX}-${(counter++).toString(36)}`;

export interface RequestMeta {
  id: string;
  ip: string;
  start: number;
  /** The status of an error response (http/error-handler.ts), which Elysia does not hand to onAfterResponse. */
  status?: number;
  /** The event-loop turn the request arrived in (response-gate.ts). */
  turn?: object;
}

const meta = new WeakMap<Request, RequestMeta>();
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Where the socket's peer address comes from (Bun's server: a getpeername call each time it is asked). */
export interface PeerSource {
  requestIP(req: Request): { address: string } | null;
}

export function attachMeta(req: Request, peer: PeerSource, trustProxy: boolean): RequestMeta {
  const given = req.headers.get('x-request-id');
  let ip: string | undefined;
  if (trustProxy) {
    // Only the rightmost hop was appended by our proxy; anything left of it is client-controlled.
    const xff = req.headers.get('x-forwarded-for');
    const last = xff?.split(',').pop()?.trim();
    if (last && last.length <= 64) ip = last;
  }
  // Behind the proxy the socket address is the proxy's: asked only when no forwarded address was taken.
  ip ??= peer.requestIP(req)?.address ?? 'unknown';
  const m = { id: given && REQUEST_ID_RE.test(given) ? given : nextId(), ip, start: performance.now() };
  meta.set(req, m);
  return m;
}

export function requestMeta(req: Request): RequestMeta {
  return meta.get(req) ?? { id: '-', ip: 'unknown', start: performance.now() };
}

/** The caller's address and software (User-Agent, cut to 256 characters), kept on a refresh family it starts. */
export function originOf(request: Request): RequestOrigin {
  return { ip: requestMeta(request).ip, userAgent: request.headers.get('user-agent')?.slice(0, 256) || null };
}
