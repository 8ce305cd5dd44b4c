// Reading a request body as text with a cap in bytes. A declared length over the cap is refused before
// anything is read; a body without one (chunked) is counted as it streams and cut at the cap, so no route
// ever holds more than its cap in memory (RFC 9110 §15.5.14: 413).
import { OAuthError } from '../domain/errors.ts';

export class PayloadTooLarge extends OAuthError {
  constructor(limit: number) {
    super('invalid_request', `request body too large (at most ${limit} bytes)`, 413);
  }
}

/**
 * The body as text (invalid UTF-8 becomes U+FFFD, as with `Request.text()`), at most `limit` bytes.
 * Read as text, not as an ArrayBuffer, when the length is declared (security/encoding.ts says why).
 */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (Number(declared) > limit) throw new PayloadTooLarge(limit);
    const text = await request.text();
    // Each UTF-16 unit is 1–3 bytes of UTF-8: only a body between limit/3 and limit units needs counting.
    if (text.length > limit || (text.length > limit / 3 && Buffer.byteLength(text, 'utf8') > limit)) throw new PayloadTooLarge(limit);
    return text;
  }
  return new TextDecoder().decode(await streamed(request, limit));
}

/** The body's bytes, at most `limit` (for JSON bodies, decoded strictly by the caller). */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared === null) return streamed(request, limit);
  if (Number(declared) > limit) throw new PayloadTooLarge(limit);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > limit) throw new PayloadTooLarge(limit);
  return bytes;
}

/** A body without a declared length, counted as it streams and cut at `limit`. */
async function streamed(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
