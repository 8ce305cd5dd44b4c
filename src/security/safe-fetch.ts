// Fetching a URL that someone else chose (a client's metadata document, a JWKS) without letting them aim
// this server at itself or its network (SSRF): resolve the name first, refuse special-use addresses, connect
// to exactly the address checked, follow no redirects, read at most `maxBytes`, and finish everything —
// lookup, connect, headers and body — within one deadline, so a server that drips its answer is cut off.
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isLoopbackAddress, isPublicAddress } from './ip.ts';

export class SafeFetchError extends Error {
  override name = 'SafeFetchError';
}

export interface SafeFetchOptions {
  timeoutS: number;
  maxBytes: number;
  /** Loopback addresses allowed too (development and tests); private and link-local never. */
  allowLoopback: boolean;
  /** How messages name the thing fetched: "the metadata document", "the JWKS". */
  what: string;
}

export interface SafeFetched {
  body: string;
  cacheControl: string | undefined;
}

export async function fetchPublic(url: URL, o: SafeFetchOptions): Promise<SafeFetched> {
  const abort = new AbortController();
  let timer: Timer | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new SafeFetchError(`fetching ${o.what} timed out after ${o.timeoutS}s`));
    }, o.timeoutS * 1000);
  });
  const fetching = fetchWithin(url, abort.signal, o);
  fetching.catch(() => {}); // after the deadline its own rejection is of no interest
  try {
    return await Promise.race([fetching, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolve, refuse special-use addresses, then connect to exactly the checked address; stop on `signal`. */
async function fetchWithin(url: URL, signal: AbortSignal, o: SafeFetchOptions): Promise<SafeFetched> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new SafeFetchError(`cannot resolve ${host}`);
  }
  if (addresses.length === 0) throw new SafeFetchError(`cannot resolve ${host}`);
  for (const a of addresses) {
    const allowed = isPublicAddress(a.address) || (o.allowLoopback && isLoopbackAddress(a.address));
    if (!allowed) throw new SafeFetchError(`${host} resolves to a non-public address`);
  }
  const pinned = addresses[0]!;
  if (signal.aborted) throw new SafeFetchError(`fetching ${o.what} was abandoned`);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<SafeFetched>((resolvePromise, reject) => {
    const req = mod.get(
      url,
      {
        headers: { Accept: 'application/json', 'User-Agent': 'auth (metadata fetcher)' },
        agent: false, // no connection reuse across checks
        lookup: ((_h: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
          opts?.all ? cb(null, [pinned]) : cb(null, pinned.address, pinned.family)) as unknown as http.RequestOptions['lookup'],
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // Only 200; never follow redirects (a redirect could lead anywhere).
        if (status !== 200) {
          res.resume();
          req.destroy();
          return reject(new SafeFetchError(status >= 300 && status < 400 ? `the URL of ${o.what} redirects (not followed)` : `${o.what} answered ${status}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > o.maxBytes) {
            req.destroy();
            reject(new SafeFetchError(`${o.what} is larger than ${o.maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          if (size <= o.maxBytes) {
            const cc = res.headers['cache-control'];
            resolvePromise({ body: Buffer.concat(chunks).toString('utf8'), cacheControl: Array.isArray(cc) ? cc.join(',') : cc });
          }
        });
        res.on('error', () => reject(new SafeFetchError(`${o.what} could not be read`)));
      },
    );
    // The deadline: destroy the request (and its socket) wherever it is.
    signal.addEventListener('abort', () => req.destroy(new SafeFetchError(`fetching ${o.what} was abandoned`)), { once: true });
    req.on('error', (e) => reject(e instanceof SafeFetchError ? e : new SafeFetchError(`fetching ${o.what} failed: ${e.message}`)));
  });
}
