// GET /health: 200 when the store answers, 503 otherwise (load balancers and `auth healthcheck`).
import type { Deps } from '../../domain/deps.ts';
import type { RouteTable } from '../serve.ts';
import { VERSION } from '../../version.ts';

const started = performance.now();

export function healthRoutes(deps: Deps): RouteTable {
  const health = async () => {
    let database = 'ok';
    try {
      await deps.store.ping();
    } catch {
      database = 'error';
    }
    const body = { status: database === 'ok' ? 'ok' : 'unavailable', database, version: VERSION, uptime_s: Math.floor((performance.now() - started) / 1000) };
    return new Response(JSON.stringify(body), {
      status: database === 'ok' ? 200 : 503,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  };
  return { '/health': { GET: health } };
}
