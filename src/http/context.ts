// Per-request facts the HTTP wrapper learns before Elysia sees the request: id, client IP, start time.
import { randomId } from '../security/random.ts';

// Request ids need to be unique, not unpredictable: a random per-process prefix and a counter.
const PREFIX = randomId(6);
let counter = 0;
const nextId = () => `${PREFIX}-${(counter++).toString(36)}`;

export interface RequestMeta {
  id: string;
  ip: string;
  start: number;
}

const meta = new WeakMap<Request, RequestMeta>();
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

export function attachMeta(req: Request, socketIp: string, trustProxy: boolean): RequestMeta {
  const given = req.headers.get('x-request-id');
  let ip = socketIp;
  if (trustProxy) {
    // Only the rightmost hop was appended by our proxy; anything left of it is client-controlled.
    const xff = req.headers.get('x-forwarded-for');
    const last = xff?.split(',').pop()?.trim();
    if (last && last.length <= 64) ip = last;
  }
  const m = { id: given && REQUEST_ID_RE.test(given) ? given : nextId(), ip, start: performance.now() };
  meta.set(req, m);
  return m;
}

export function requestMeta(req: Request): RequestMeta {
  return meta.get(req) ?? { id: '-', ip: 'unknown', start: performance.now() };
}
