// Security helpers with no I/O: PKCE vectors, redirect-URI rules, secret formats, comparisons, parameters, config.
import { describe, expect, test } from 'bun:test';
import { isValidChallenge, isValidVerifier, s256, verifyPkce } from '../src/security/pkce.ts';
import { checkRedirectUri, matchRedirectUri } from '../src/security/redirect-uri.ts';
import { mintSecret, parseSecret } from '../src/security/token-format.ts';
import { constantTimeEqual, equalSecrets, matchesHash } from '../src/security/compare.ts';
import { randomFromCharset, sortableId } from '../src/security/random.ts';
import { t } from 'elysia';
import { checkParams, form, lenientParam, Params, param, parseParamText, repeated } from '../src/http/input.ts';
import { ConfigError, loadConfig, parseDotenv, parseDuration, SETTINGS } from '../src/config.ts';
import { safeNext } from '../src/domain/login.ts';
import { parseBasicAuth } from '../src/domain/clients.ts';

describe('RFC 7636 PKCE', () => {
  test('Appendix B: the S256 challenge of the example verifier', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(verifyPkce('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
  });
  test('§4.1: verifiers are 43–128 unreserved characters', () => {
    expect(isValidVerifier('a'.repeat(42))).toBe(false);
    expect(isValidVerifier('a'.repeat(43))).toBe(true);
    expect(isValidVerifier('a'.repeat(128))).toBe(true);
    expect(isValidVerifier('a'.repeat(129))).toBe(false);
    expect(isValidVerifier(`${'a'.repeat(42)}+`)).toBe(false);
    expect(verifyPkce('a'.repeat(42), s256('a'.repeat(42)))).toBe(false);
  });
  test('an S256 challenge is 43 base64url characters', () => {
    expect(isValidChallenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(isValidChallenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c')).toBe(false);
    expect(isValidChallenge('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM')).toBe(false);
  });
});

describe('redirect URIs', () => {
  test('registration: https, http only on loopback, private-use schemes; never fragments or dangerous schemes', () => {
    expect(checkRedirectUri('https://app.example/cb')).toBeNull();
    expect(checkRedirectUri('http://127.0.0.1/cb')).toBeNull();
    expect(checkRedirectUri('http://[::1]:8080/cb')).toBeNull();
    expect(checkRedirectUri('http://localhost/cb')).toBeNull();
    expect(checkRedirectUri('cursor://anysphere.cursor-retrieval/oauth/callback')).toBeNull();
    expect(checkRedirectUri('com.example.app:/oauth2redirect')).toBeNull();
    expect(checkRedirectUri('http://app.example/cb')).toBe('http_not_loopback');
    expect(checkRedirectUri('https://app.example/cb#frag')).toBe('fragment');
    expect(checkRedirectUri('javascript:alert(1)')).toBe('scheme');
    expect(checkRedirectUri('data:text/html,x')).toBe('scheme');
    expect(checkRedirectUri('not a uri')).toBe('malformed');
    expect(checkRedirectUri('')).toBe('malformed');
  });
  test('matching: exact, except loopback on any port with the same host, path and query (RFC 8252 §7.3)', () => {
    const reg = ['https://app.example/cb', 'http://127.0.0.1/callback'];
    expect(matchRedirectUri(reg, 'https://app.example/cb')).toBe('https://app.example/cb');
    expect(matchRedirectUri(reg, 'https://app.example/cb/')).toBeNull();
    expect(matchRedirectUri(reg, 'https://app.example/cb?x=1')).toBeNull();
    expect(matchRedirectUri(reg, 'https://APP.example/cb')).toBeNull();
    expect(matchRedirectUri(reg, 'https://app.example:444/cb')).toBeNull();
    expect(matchRedirectUri(reg, 'http://127.0.0.1:53123/callback')).toBe('http://127.0.0.1/callback');
    expect(matchRedirectUri(reg, 'http://127.0.0.1:53123/callback/x')).toBeNull();
    expect(matchRedirectUri(reg, 'http://127.0.0.1:53123/callback?x')).toBeNull();
    expect(matchRedirectUri(reg, 'http://localhost:53123/callback')).toBeNull(); // another host
    expect(matchRedirectUri(reg, 'http://127.0.0.1.evil.example/callback')).toBeNull();
    expect(matchRedirectUri(reg, 'http://user@127.0.0.1:1/callback')).toBeNull();
    expect(matchRedirectUri(reg, 'https://127.0.0.1:53123/callback')).toBeNull();
  });
});

describe('secrets', () => {
  test('minted secrets are <prefix><id>.<secret> with a time-ordered id and a 256-bit secret, stored as SHA-256', () => {
    const s = mintSecret('rt_');
    expect(s.token).toMatch(/^rt_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(parseSecret('rt_', s.token)).toEqual({ id: s.id });
    expect(matchesHash(s.token, s.hash)).toBe(true);
    expect(matchesHash(`${s.token}x`, s.hash)).toBe(false);
    const last = s.hash.at(-1) === '0' ? '1' : '0';
    expect(matchesHash(s.token, s.hash.slice(0, -1) + last)).toBe(false); // one character off
    expect(matchesHash(s.token, s.hash.slice(0, -1))).toBe(false); // shorter
    expect(matchesHash(s.token, '')).toBe(false);
    expect(parseSecret('ac_', s.token)).toBeNull();
    expect(parseSecret('rt_', 'rt_short.x')).toBeNull();
    expect(parseSecret('rt_', `rt_${'a'.repeat(300)}`)).toBeNull();
  });
  test('constant-time comparisons', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1]))).toBe(false);
    expect(equalSecrets('abc', 'abc')).toBe(true);
    expect(equalSecrets('abc', 'abcd')).toBe(false);
  });
  test('time-ordered ids: 22 base64url characters that sort by creation time, unique within a millisecond', () => {
    const t0 = Date.UTC(2026, 10, 22);
    const ids = [0, 1, 63, 64, 1000, 86_400_000, 5 * 365 * 86_400_000].map((d) => sortableId(t0 + d));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 10_000 }, () => sortableId(t0)));
    expect(same.size).toBe(10_000);
    // Minted ids carry their creation time in the first 7 characters.
    const SORTED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
    const ms = [...mintSecret('rt_').id.slice(0, 7)].reduce((n, c) => n * 64 + SORTED.indexOf(c), 0);
    expect(Math.abs(ms - Date.now())).toBeLessThan(5000);
  });
  test('codes from a charset use only that charset', () => {
    const code = randomFromCharset('BCDFGHJKLMNPQRSTVWXZ', 1000);
    expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{1000}$/);
  });
});

describe('OAuth parameter parsing', () => {
  const schema = t.Object({ a: param(5), r: repeated(20) });
  const lenient = t.Object({ a: lenientParam(5) });
  const parse = (text: string) => checkParams(schema, parseParamText(text, schema));
  test('RFC 6749 §3.1: a repeated parameter is refused; repeatable ones are collected; unknown ones ignored', () => {
    expect(() => parse('a=1&a=2')).toThrow('parameter a is repeated');
    expect(parse('r=x&r=y&zz=1')).toEqual({ r: ['x', 'y'] });
    const p = new Params(checkParams(lenient, parseParamText('a=1&a=2', lenient)));
    expect(() => p.get('a')).toThrow('repeated');
    expect(() => parse(`${'r=x&'.repeat(21)}`)).toThrow('repeated too often');
  });
  test('empty values count as absent; + is a space', () => {
    expect(parse('a=').a).toBeUndefined();
    expect(parse('a=x+y').a).toBe('x y');
  });
  test('oversized, malformed percent-encoding, invalid UTF-8 and control characters are refused', () => {
    expect(() => parse('a=123456')).toThrow('parameter a is too long (at most 5 characters)');
    expect(() => parse('a=%ZZ')).toThrow('malformed');
    expect(() => parse('a=%FF')).toThrow('malformed');
    expect(() => parse('a=%00')).toThrow('control');
    expect(() => parse('a=x%0Ay')).toThrow('control');
  });
  test('form bodies: read as text, limited in UTF-8 bytes, invalid UTF-8 refused, encoded U+FFFD accepted', async () => {
    const request = (body: BodyInit) =>
      new Request('http://x/token', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    const { parse: read } = form(t.Object({ a: param(20000) }));
    const formParams = async (r: Request) => (await read({ request: r })) as { a?: string };
    expect((await formParams(request('a=%EF%BF%BD'))).a).toBe('\uFFFD');
    expect((await formParams(request('a=caf%C3%A9'))).a).toBe('café');
    await expect(formParams(request(new Uint8Array([0x61, 0x3d, 0xff, 0xfe])))).rejects.toThrow('not valid UTF-8');
    await expect(formParams(request(new Uint8Array([0x61, 0x3d, 0xc3])))).rejects.toThrow('not valid UTF-8'); // cut short
    await expect(formParams(request('a=\uFFFD'))).rejects.toThrow('not valid UTF-8'); // raw, never in a conforming body
    // 6,000 characters of 3 bytes each: under the limit in characters, over it in bytes (no Content-Length sent).
    const euro = new Request('http://x/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new Blob([`a=${'€'.repeat(6000)}`]).stream(),
    });
    await expect(formParams(euro)).rejects.toThrow('too large');
    expect((await formParams(request(`a=${'é'.repeat(5000)}`))).a).toHaveLength(5000); // 10,002 bytes: fine
  });
  test('Basic credentials are form-decoded (RFC 6749 §2.3.1)', () => {
    const h = `Basic ${Buffer.from('my%3Aid:p%40ss+word').toString('base64')}`;
    expect(parseBasicAuth(h)).toEqual({ id: 'my:id', secret: 'p@ss word' });
    expect(parseBasicAuth('Basic !!!')).toBe('malformed');
    expect(parseBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBe('malformed');
    // Non-ASCII (UTF-8) credentials, unpadded base64, and base64 only Node's lenient decoder reads.
    expect(parseBasicAuth(`Basic ${Buffer.from('ïd:sécret').toString('base64')}`)).toEqual({ id: 'ïd', secret: 'sécret' });
    expect(parseBasicAuth(`Basic ${Buffer.from('id:s').toString('base64').replace(/=+$/, '')}`)).toEqual({ id: 'id', secret: 's' });
    expect(parseBasicAuth(`Basic ${Buffer.from('id:secret').toString('base64')}=`)).toEqual({ id: 'id', secret: 'secret' });
    expect(parseBasicAuth(null)).toBeNull();
    expect(parseBasicAuth('Bearer x')).toBeNull();
  });
});

describe('open redirects', () => {
  test('next accepts only local paths', () => {
    expect(safeNext('/authorize?x=1')).toBe('/authorize?x=1');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', undefined, '/\nx'])
      expect(safeNext(bad)).toBe('/');
  });
});

describe('configuration', () => {
  test('defaults: port 8080, issuer http://localhost:PORT, SQLite under ./data', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.baseUrl).toBe('http://localhost:8080');
    expect(c.dataDir).toBe('./data');
    expect(c.accessTokenTtl).toBe(3600);
    expect(c.refreshReuseGrace).toBe(10);
  });
  test('BASE_URL loses its trailing slash; SQL_URL is an alias of DATABASE_URL', () => {
    expect(loadConfig({ BASE_URL: 'https://auth.example/' }).baseUrl).toBe('https://auth.example');
    expect(loadConfig({ SQL_URL: ':memory:' }).databaseUrl).toBe(':memory:');
  });
  test('durations', () => {
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('30d')).toBe(2592000);
    expect(parseDuration('soon')).toBeNull();
  });
  test('errors name the variable; secrets are not echoed', () => {
    expect(() => loadConfig({ REFRESH_REUSE_GRACE: '1h' })).toThrow(/REFRESH_REUSE_GRACE/);
    expect(() => loadConfig({ OIDC_ISSUER: 'http://idp.example', OIDC_CLIENT_ID: 'x' })).toThrow(/OIDC_ISSUER.*https/);
    expect(() => loadConfig({ RESOURCES: 'https://a.example not-a-uri' })).toThrow(/RESOURCES entry "not-a-uri"/);
    expect(() => loadConfig({ RESOURCES: 'https://a.example/#frag' })).toThrow(/RESOURCES.*fragment/);
    expect(loadConfig({ RESOURCES: 'https://a.example, https://b.example/mcp' }).resources).toEqual(['https://a.example', 'https://b.example/mcp']);
    expect(() => loadConfig({ GOOGLE_CLIENT_ID: 'x' })).toThrow(/GOOGLE_CLIENT_SECRET/);
    expect(() => loadConfig({ BASE_URL: 'https://auth.example/path' })).toThrow(ConfigError);
  });
  test('.env parsing: comments, export, quotes', () => {
    expect(parseDotenv('# c\nexport A=1\nB="x y"\nC=\'z\'\nD=plain # trailing\n')).toEqual({ A: '1', B: 'x y', C: 'z', D: 'plain' });
  });
  test('the configuration table of docs/configuration.md is the one generated from the schema', async () => {
    const readme = await Bun.file(new URL('../docs/configuration.md', import.meta.url)).text();
    const { configTable } = await import('../scripts/config-table.ts');
    expect(readme).toContain(configTable());
    for (const s of SETTINGS) expect(readme).toContain(`\`${s.env}\``);
  });
});
