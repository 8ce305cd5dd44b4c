// The metadata ceiling on this machine: a bare Bun.serve answering the same bytes as our metadata endpoint,
// once from a JavaScript handler (no request id, log line or metrics) and once as a static route (answered
// by Bun's native code, no JavaScript at all). Started by bench/run.ts pinned to the server core.
const body = process.env.CEILING_BODY ?? '{}';
const headers = JSON.parse(process.env.CEILING_HEADERS ?? '{}') as Record<string, string>;
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: '127.0.0.1',
  development: false,
  routes: {
    '/handler': () => new Response(body, { headers }),
    '/static': new Response(body, { headers }),
  },
  fetch: () => new Response('not found', { status: 404 }),
});
console.log(server.port);
