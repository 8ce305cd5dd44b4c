// Request input. Every route declares its parameters as a TypeBox object (`t.*`) and Elysia validates them
// before the handler runs; a failure becomes RFC 6749 §5.2 `invalid_request` in http/error-handler.ts,
// with the message `describeParamError` writes (never 422). The headers a route reads are declared the
// same way and checked here, as the input is read (`headerCheck`).
//
// The values come from the strict parsers here, not Elysia's: Elysia keeps only the last value of a
// repeated query key and lets malformed percent-encoding through, and OAuth needs both refused:
//  - RFC 6749 §3.1 / §3.2: "Request and response parameters MUST NOT be included more than once" — a
//    repeated single-valued parameter arrives as an array and fails its `t.String` schema ("repeated");
//  - parameters without a value are treated as omitted (§3.1);
//  - unrecognized parameters are ignored (§3.1) — the parsers keep only the keys the schema names;
//  - values must be UTF-8 without control characters (the `TEXT` pattern).
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { t } from 'elysia';
import { InvalidRequest } from '../domain/errors.ts';
import { CONTROL_CHARACTERS } from '../security/control.ts';
import { readBodyBytes, readBodyText } from './body.ts';

/** Text without C0 control characters or DEL (security/control.ts), as a JSON-schema pattern. */
const TEXT = '^[^\\u0000-\\u001f\\u007f]*$';
/** How often a parameter that may repeat (RFC 8707 `resource`) may appear. */
const MAX_REPEATS = 20;

/** Text of a textarea: line breaks allowed (CR, LF), other control characters not. */
const LINES = '^[^\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
/** A single-valued parameter of at most `max` characters that may span lines (a form's textarea). */
export const multiline = (max: number) => t.Optional(t.String({ maxLength: max, pattern: LINES }));
/** A single-valued parameter of at most `max` characters. */
export const param = (max: number) => t.Optional(t.String({ maxLength: max, pattern: TEXT }));
/** A parameter that may repeat (empty values dropped). */
export const repeated = (max: number) => t.Optional(t.Array(t.String({ maxLength: max, pattern: TEXT }), { maxItems: MAX_REPEATS }));
/**
 * A single-valued parameter whose repetition is judged later, by the handler (the authorization endpoint:
 * before the client's redirect URI is verified the error is a page, after it a redirect — RFC 6749 §4.1.2.1).
 */
export const lenientParam = (max: number) =>
  t.Optional(t.Union([t.String({ maxLength: max, pattern: TEXT }), t.Array(t.String({ maxLength: max, pattern: TEXT }), { maxItems: MAX_REPEATS })]));

type Shape = Record<string, TSchema>;
type Parsed = Record<string, string | string[]>;

function decode(part: string, what: string): string {
  // Nothing to decode (the common case: base64url tokens, plain names) — the text is valid UTF-8 already.
  if (part.indexOf('%') < 0 && part.indexOf('+') < 0) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' ')); // throws on malformed % or invalid UTF-8
  } catch {
    throw new InvalidRequest(`malformed encoding in ${what}`);
  }
}

const isList = (s: TSchema | undefined) => s?.type === 'array';

/**
 * Parse `a=1&b=2` into the object the schema describes: only its keys; a key that may repeat becomes a list
 * (empty values dropped); any other key seen more than once becomes a list of every value, which its
 * string schema then refuses; a single empty value is omitted.
 */
export function parseParamText(text: string, schema: TObject): Parsed {
  const shape = schema.properties as Shape;
  const seen = new Map<string, string[]>();
  if (text.length > 0) {
    for (const pair of text.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const name = decode(eq < 0 ? pair : pair.slice(0, eq), 'a parameter name');
      if (!Object.hasOwn(shape, name)) continue;
      const value = decode(eq < 0 ? '' : pair.slice(eq + 1), name);
      const list = seen.get(name);
      if (list) list.push(value);
      else seen.set(name, [value]);
    }
  }
  const out: Parsed = {};
  for (const [name, values] of seen) {
    if (isList(shape[name])) {
      const kept = values.filter((v) => v !== '');
      if (kept.length > 0) out[name] = kept;
    } else if (values.length > 1) out[name] = values;
    else if (values[0] !== '') out[name] = values[0]!;
  }
  return out;
}

/** A path segment (`:provider`, `:id`): short, no control characters. */
export const segment = (max = 64) => t.String({ maxLength: max, pattern: TEXT });

/**
 * The headers a route reads, declared (the values are still parsed by bearer.ts and clients.ts: RFC 6749
 * §2.3.1 form-decoding of Basic credentials is not a schema's job): a bounded Authorization header.
 */
export const authorizationHeader = t.Object({ authorization: t.Optional(t.String({ maxLength: 8192 })) });

/**
 * A check of the headers `schema` declares, compiled once: each is read with `headers.get` and the object of
 * those present is checked against the schema; a failure is `invalid_request` naming the header.
 *
 * Not Elysia's `headers` route option: for that, Elysia's composed handler copies every request header into
 * an object, cleans and checks it, on every request. With this check in its place introspection ran 1.05×
 * and client_credentials 1.025× as fast (A/B, docs/benchmarks.md).
 */
function headerCheck(schema: TObject): (request: Request) => void {
  const check = TypeCompiler.Compile(schema);
  const names = Object.keys(schema.properties);
  return (request) => {
    const found: Record<string, string> = {};
    for (const name of names) {
      const v = request.headers.get(name);
      if (v !== null) found[name] = v;
    }
    if (check.Check(found)) return;
    const name = (check.Errors(found).First()?.path ?? '').split('/')[1] ?? '';
    throw new InvalidRequest(describeParamError(name, found[name], (schema.properties as Shape)[name], 'header'));
  };
}

/** Elysia route options for a route that reads headers and no parameters (checked as `headerCheck` says). */
export function headers(schema: TObject) {
  const check = headerCheck(schema);
  return { transform: ({ request }: { request: Request }) => check(request) };
}

/** The message for a parameter that failed its schema: names it, never echoes the value. */
export function describeParamError(name: string, value: unknown, schema: TSchema | undefined, noun = 'parameter'): string {
  if (!schema || !name) return 'invalid request parameters';
  // The string schema of one value: the parameter's own, or its list's items (Elysia may wrap either in a union).
  const forms: TSchema[] = [schema, ...(schema.anyOf ?? [])];
  const item = forms.flatMap((f) => [f, f.items]).find((f: TSchema | undefined) => f?.type === 'string' && f.maxLength !== undefined) as TSchema | undefined;
  if (Array.isArray(value)) {
    if (schema.type === 'string') return `${noun} ${name} is repeated`;
    if (value.length > MAX_REPEATS) return `${noun} ${name} is repeated too often`;
  }
  for (const v of Array.isArray(value) ? value : [value]) {
    if (v === undefined) continue;
    if (typeof v !== 'string') return `${noun} ${name} must be a string`;
    if (item?.maxLength !== undefined && v.length > item.maxLength) return `${noun} ${name} is too long (at most ${item.maxLength} characters)`;
    if (CONTROL_CHARACTERS.test(v)) return `${noun} ${name} contains control characters`;
  }
  if (value === undefined) return `${name} is missing`;
  return `invalid ${noun}: ${name}`;
}

/**
 * Elysia route options for an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) of at most `limit`
 * bytes; `before` runs first, before a byte is read (a rate limit).
 */
export function form<S extends TObject>(schema: S, opts: { limit?: number; before?: (request: Request) => void; optional?: boolean; headers?: TObject } = {}) {
  const { limit = 16 * 1024, before, optional = false } = opts;
  const checkHeaders = opts.headers ? headerCheck(opts.headers) : undefined;
  return {
    body: schema,
    /**
     * Read as text, not as an ArrayBuffer (security/encoding.ts says why). `text()` replaces invalid UTF-8
     * with U+FFFD, so a body holding U+FFFD is refused as not UTF-8: a conforming form body is
     * percent-encoded ASCII and never holds one raw (an encoded `%EF%BF%BD` is decoded after this check).
     */
    parse: async ({ request }: { request: Request }) => {
      before?.(request);
      const type = request.headers.get('content-type') ?? '';
      // `optional`: a request without a body at all (no type, no length or 0) has no parameters.
      if (optional && !type && !Number(request.headers.get('content-length') ?? 0) && !request.headers.has('transfer-encoding')) {
        checkHeaders?.(request);
        return {} as Static<S>;
      }
      if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) throw new InvalidRequest('the body must be application/x-www-form-urlencoded');
      const text = await readBodyText(request, limit);
      if (text.includes('\uFFFD')) throw new InvalidRequest('the body is not valid UTF-8');
      const parsed = parseParamText(text, schema) as Static<S>;
      checkHeaders?.(request); // after the body, before its schema: the order Elysia's own checks had
      return parsed;
    },
  };
}

/**
 * Elysia route options for the query string, parsed strictly and checked here (replacing Elysia's parse
 * before its validation): Elysia rewrites a query schema's lists into string-or-list unions, and a value
 * that fails inside one reaches the error handler without its parameter's name.
 */
export function query<S extends TObject>(schema: S, opts: { headers?: TObject } = {}) {
  const checkHeaders = opts.headers ? headerCheck(opts.headers) : undefined;
  return {
    query: schema,
    transform(ctx: { request: Request; query: unknown }) {
      ctx.query = checkParams(schema, parseParamText(queryText(ctx.request.url), schema));
      checkHeaders?.(ctx.request);
    },
  };
}

/**
 * Elysia route options for a JSON body of at most `limit` bytes, decoded strictly as UTF-8; `before` runs
 * first (authorization, rate limits), `refuse` makes the error a malformed body gets.
 */
export function json<S extends TSchema>(
  schema: S,
  opts: { limit: number; before?: (request: Request) => void | Promise<void>; refuse?: (description: string) => Error; headers?: TObject },
) {
  const { limit, before, refuse = (d: string) => new InvalidRequest(d) } = opts;
  const checkHeaders = opts.headers ? headerCheck(opts.headers) : undefined;
  return {
    body: schema,
    parse: async ({ request }: { request: Request }) => {
      await before?.(request);
      if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) throw refuse('the body must be application/json');
      const bytes = await readBodyBytes(request, limit);
      let parsed: Static<S>;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Static<S>;
      } catch {
        throw refuse('the body is not valid JSON');
      }
      checkHeaders?.(request);
      return parsed;
    },
  };
}

export function queryText(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** Check parameters outside a route (a stored request read back): the same answer a route gives. */
export function checkParams<S extends TObject>(schema: S, value: Parsed): Static<S> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  if (check.Check(value)) return value as Static<S>;
  const first = check.Errors(value).First();
  const name = (first?.path ?? '').split('/')[1] ?? '';
  throw new InvalidRequest(describeParamError(name, value[name], (schema.properties as Shape)[name]));
}

/** Single-valued reads of a lenient parameter object: a repeated parameter is refused when it is read. */
export class Params {
  constructor(private readonly values: Parsed) {}

  get(name: string): string | undefined {
    const v = this.values[name];
    if (Array.isArray(v)) throw new InvalidRequest(`parameter ${name} is repeated`);
    return v;
  }

  all(name: string): string[] {
    const v = this.values[name];
    return v === undefined ? [] : Array.isArray(v) ? v.filter((x) => x !== '') : [v];
  }
}
