// Strict OAuth parameter parsing for query strings and form bodies. Elysia keeps only the last value of a
// repeated query key and lets invalid UTF-8 through, so OAuth endpoints parse their own parameters:
// RFC 6749 §3.1 / §3.2 — "Request and response parameters MUST NOT be included more than once";
// parameters without a value are treated as omitted; values must be UTF-8 without control characters.
import { InvalidRequest } from '../domain/errors.ts';
import { CONTROL_CHARACTERS } from '../security/control.ts';
import { readBodyText } from './body.ts';

/** What an endpoint accepts: max length per parameter and whether it may repeat (e.g. RFC 8707 `resource`). */
export type ParamSpec = Record<string, { max: number; repeat?: boolean }>;

export class Params {
  constructor(private readonly values: Map<string, string[]>) {}

  /** A single-valued parameter; repeated → invalid_request. Empty counts as absent (RFC 6749 §3.1). */
  get(name: string): string | undefined {
    const v = this.values.get(name);
    if (!v) return undefined;
    if (v.length > 1) throw new InvalidRequest(`parameter ${name} is repeated`);
    return v[0] === '' ? undefined : v[0];
  }

  /** A parameter that may repeat (empty values dropped). */
  all(name: string): string[] {
    return (this.values.get(name) ?? []).filter((v) => v !== '');
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every parameter as a plain object (single values only; used to carry an authorization request). */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, vs] of this.values) for (const v of vs) out.push([k, v]);
    return out;
  }
}

function decode(part: string, what: string): string {
  // Nothing to decode (the common case: base64url tokens, plain names) — the text is valid UTF-8 already.
  if (part.indexOf('%') < 0 && part.indexOf('+') < 0) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' ')); // throws on malformed % or invalid UTF-8
  } catch {
    throw new InvalidRequest(`malformed encoding in ${what}`);
  }
}

/**
 * Parse `a=1&b=2` strictly against `spec`: unknown parameters are ignored (RFC 6749 §3.1: "MUST ignore
 * unrecognized request parameters"); known ones are length-checked and may repeat only when allowed.
 */
export function parseParams(text: string, spec: ParamSpec, opts: { lenient?: boolean } = {}): Params {
  const values = new Map<string, string[]>();
  if (text.length > 0) {
    for (const pair of text.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = decode(eq < 0 ? pair : pair.slice(0, eq), 'a parameter name');
      const rule = spec[name];
      if (!rule) continue;
      const value = decode(eq < 0 ? '' : pair.slice(eq + 1), name);
      if (value.length > rule.max) throw new InvalidRequest(`parameter ${name} is too long (at most ${rule.max} characters)`);
      if (CONTROL_CHARACTERS.test(value)) throw new InvalidRequest(`parameter ${name} contains control characters`);
      const list = values.get(name);
      if (list) {
        // Lenient: keep the repeats and let Params.get() reject them when (and if) the parameter is read.
        if (!rule.repeat && !opts.lenient) throw new InvalidRequest(`parameter ${name} is repeated`);
        if (list.length >= 20) throw new InvalidRequest(`parameter ${name} is repeated too often`);
        list.push(value);
      } else values.set(name, [value]);
    }
  }
  return new Params(values);
}

export function queryParams(request: Request, spec: ParamSpec, opts: { lenient?: boolean } = {}): Params {
  const url = request.url;
  const q = url.indexOf('?');
  return parseParams(q < 0 ? '' : url.slice(q + 1), spec, opts);
}

/**
 * Read an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) of at most `limit` bytes.
 *
 * Read as text, not as an ArrayBuffer (security/encoding.ts says why; a bare handler in a probe went from
 * 82k to 51k req/s reading ArrayBuffers). `text()` replaces invalid UTF-8 with U+FFFD, so a body holding
 * U+FFFD is refused as not UTF-8: a conforming form body is percent-encoded ASCII and never holds one raw
 * (an encoded `%EF%BF%BD` is still accepted: it is decoded after this check).
 */
export async function formParams(request: Request, spec: ParamSpec, limit = 16 * 1024): Promise<Params> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
  }
  const text = await readBodyText(request, limit);
  if (text.includes('\uFFFD')) throw new InvalidRequest('the body is not valid UTF-8');
  return parseParams(text, spec);
}
