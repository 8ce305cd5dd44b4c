// The request lifecycle (src/http/serve.ts) and the error handler on an Elysia app of their own: real HTTP
// against Bun.serve on a random port, with handlers that succeed, throw OAuth errors, and throw
// unexpectedly (synchronously and asynchronously). Issue 2: one log line per request, X-Request-Id echoed,
// 500 server_error with a short id and the stack only in the log — for handlers that return and that throw.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { brandKit } from '../src/http/brand.ts';
import { Elysia } from 'elysia';
import { loadConfig } from '../src/config.ts';
import { InvalidRequest } from '../src/domain/errors.ts';
import { Metrics } from '../src/domain/metrics.ts';
import { errorHandler, errorResponder } from '../src/http/error-handler.ts';
import { ResponseGate } from '../src/http/response-gate.ts';
import { requestLifecycle } from '../src/http/serve.ts';
import { createLogger } from '../src/log.ts';
import { eventually } from './helpers/server.ts';

const lines: string[] = [];
const log = createLogger('info', 'json', (l) => lines.push(l));
const metrics = new Metrics();
let server: ReturnType<typeof Bun.serve>;
let base = '';

beforeAll(() => {
  const onError = errorResponder({ log, issuer: 'http://127.0.0.1', https: false, metrics, brand: brandKit(loadConfig({})) });
  const app = new Elysia()
    .use(requestLifecycle({ trustProxy: loadConfig({}).trustProxy, log, metrics, peer: () => server }))
    .use(errorHandler(onError))
    .get('/elysia-throws', () => {
      throw new Error('elysia boom');
    })
    .get('/ok', () => new Response('{"ok":true}', { headers: { 'Content-Type': 'application/json' } }))
    // Answered in a later turn, as a group-committed write is.
    .get('/later', async () => {
      await new Promise((done) => setImmediate(done));
      return new Response('{"later":true}', { headers: { 'Content-Type': 'application/json' } });
    })
    .get('/sync-throws', () => {
      throw new Error('sync boom');
    })
    .get('/async-throws', async () => Promise.reject(new Error('async boom')))
    .post('/oauth-error', async () => {
      throw new InvalidRequest('nope');
    });
  const fixed = { '/fixed': { GET: new Response('{"fixed":true}', { headers: { 'Content-Type': 'application/json' } }) } };
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', routes: fixed, fetch: app.fetch });
  app.server = server;
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const requestLines = () => lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
/** The log line of request `id`, written just after its response went out (onAfterResponse). */
const lineOf = (id: string) => eventually(() => requestLines().find((l) => l.request_id === id));

test('a route answers with its request id and logs one line', async () => {
  const r = await fetch(`${base}/ok?secret=x`, { headers: { 'X-Request-Id': 'trace-ok' } });
  expect(r.status).toBe(200);
  expect(r.headers.get('x-request-id')).toBe('trace-ok');
  expect(await lineOf('trace-ok')).toMatchObject({ method: 'GET', path: '/ok', status: 200 });
  expect(requestLines().filter((l) => l.request_id === 'trace-ok').length).toBe(1);
});

test('responses ready in the turn of their request and in a later one both go out, each with its id and log line', async () => {
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${base}/${i % 2 ? 'later' : 'ok'}`, { headers: { 'X-Request-Id': `turn-${i}` } })));
  for (const [i, r] of rs.entries()) {
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe(`turn-${i}`);
    expect(await r.json()).toEqual(i % 2 ? { later: true } : { ok: true });
    expect(await lineOf(`turn-${i}`)).toMatchObject({ path: i % 2 ? '/later' : '/ok', status: 200 });
  }
});

test('ResponseGate: responses of a turn are held until its end and leave in order; later ones are not held', async () => {
  const gate = new ResponseGate();
  const turn = gate.arrive();
  expect(gate.arrive()).toBe(turn); // a second request in the same turn
  const left: string[] = [];
  const a = gate.hold(turn)!.then(() => left.push('a'));
  const b = gate.hold(turn)!.then(() => left.push('b'));
  await Promise.resolve();
  expect(left).toEqual([]); // microtasks alone do not release them
  await new Promise((done) => setImmediate(done)); // the turn's end (the gate's setImmediate came first)
  await Promise.all([a, b]);
  expect(left).toEqual(['a', 'b']);
  expect(gate.hold(turn)).toBeNull(); // made after its turn: leaves at once
  expect(gate.hold(undefined)).toBeNull(); // a request the lifecycle did not see
  expect(gate.arrive()).not.toBe(turn);
});

test('a fixed Response route is served by Bun as is: no request id, no log line; other methods fall through', async () => {
  const before = requestLines().length;
  const r = await fetch(`${base}/fixed`, { headers: { 'X-Request-Id': 'trace-fixed' } });
  expect(await r.json()).toEqual({ fixed: true });
  expect(r.headers.get('x-request-id')).toBeNull();
  expect((await fetch(`${base}/fixed`)).status).toBe(200); // served again: Bun keeps its own copy of the body
  const post = await fetch(`${base}/fixed`, { method: 'POST' });
  expect(post.status).toBe(404);
  await lineOf(post.headers.get('x-request-id')!);
  expect(
    requestLines()
      .slice(before)
      .map((l) => `${l.method} ${l.path}`),
  ).toEqual(['POST /fixed']);
});

for (const path of ['/sync-throws', '/async-throws', '/elysia-throws']) {
  test(`${path}: 500 server_error with a short id, the stack only in the log`, async () => {
    const r = await fetch(base + path);
    expect(r.status).toBe(500);
    const body = await r.json();
    const id = r.headers.get('x-request-id')!;
    expect(body).toEqual({ error: 'server_error', error_description: `internal error (id ${id})` });
    expect(JSON.stringify(body)).not.toContain('boom');
    const err = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error' && l.request_id === id);
    expect(err.stack).toContain('boom');
    expect(await lineOf(id)).toMatchObject({ path, status: 500 });
  });
}

test('an OAuth error thrown by a route is its RFC response, logged with its status', async () => {
  const r = await fetch(`${base}/oauth-error`, { method: 'POST' });
  expect(r.status).toBe(400);
  expect(await r.json()).toEqual({ error: 'invalid_request', error_description: 'nope' });
  const id = r.headers.get('x-request-id')!;
  expect(id).toBeTruthy();
  expect(await lineOf(id)).toMatchObject({ method: 'POST', path: '/oauth-error', status: 400 });
});

test('other methods on a path and unknown paths: 404 JSON', async () => {
  for (const [method, path] of [
    ['PUT', '/ok'],
    ['GET', '/nowhere'],
  ]) {
    const r = await fetch(base + path, { method });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    expect(r.headers.get('x-request-id')).toBeTruthy();
  }
});

test('metrics count every request by method, route and status; build and process metrics', async () => {
  const text = metrics.render();
  expect(text).toContain('auth_http_requests_total{method="GET",route="other",status="500"}');
  expect(text).toMatch(/auth_http_requests_total\{method="POST",route="other",status="400"\} \d+/);
  expect(text).toMatch(/auth_http_request_duration_seconds_count\{method="GET",route="other"\} \d+/);
  // Prometheus buckets are cumulative: non-decreasing, +Inf equal to the count.
  const buckets = [...text.matchAll(/auth_http_request_duration_seconds_bucket\{method="GET",route="other",le="([^"]+)"\} (\d+)/g)].map((m) => Number(m[2]));
  expect(buckets.length).toBeGreaterThan(5);
  for (let i = 1; i < buckets.length; i++) expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!);
  const count = Number(/auth_http_request_duration_seconds_count\{method="GET",route="other"\} (\d+)/.exec(text)![1]);
  expect(buckets.at(-1)).toBe(count);
  expect(text).toMatch(/^auth_build_info\{version="[^"]+",commit="[^"]+"\} 1$/m);
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
  expect(value('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
  expect(value('process_open_fds')).toBeGreaterThan(2);
  expect(value('process_max_fds')).toBeGreaterThanOrEqual(value('process_open_fds'));
  expect(Math.abs(value('process_start_time_seconds') - Date.now() / 1000)).toBeLessThan(3600);
});
