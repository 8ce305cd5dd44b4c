// The ceilings on this machine, from a bare Bun.serve started by bench/run.ts pinned to the server core:
// - metadata: the same bytes as our metadata endpoint, once from a JavaScript handler (no request id, log line
//   or metrics) and once as a static route (answered by Bun's native code, no JavaScript at all);
// - the latency floor: /spin/<µs> burns that much CPU per request and answers, so the p99 a server doing
//   nothing but fixed work gets at a given rate can be set beside ours.
const body = process.env.CEILING_BODY ?? '{}';
const headers = JSON.parse(process.env.CEILING_HEADERS ?? '{}') as Record<string, string>;
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: '127.0.0.1',
  development: false,
  routes: {
    '/handler': () => new Response(body, { headers }),
    '/static': new Response(body, { headers }),
    '/spin/:us': (req) => {
      const end = performance.now() + Number(req.params.us) / 1000;
      while (performance.now() < end);
      return new Response('{}', { headers: { 'Content-Type': 'application/json' } });
    },
  },
  fetch: () => new Response('not found', { status: 404 }),
});
console.log(server.port);
