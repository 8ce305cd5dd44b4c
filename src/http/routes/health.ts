// GET /health: 200 when the store answers, 503 otherwise (load balancers and `auth healthcheck`).
import type { Deps } from '../../domain/deps.ts';
import { checkHealth } from '../../domain/health.ts';
import type { RouteTable } from '../serve.ts';

export function healthRoutes(deps: Deps): RouteTable {
  const health = async () => {
    const body = await checkHealth(deps.store);
    return new Response(JSON.stringify(body), {
      status: body.status === 'ok' ? 200 : 503,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  };
  return { '/health': { GET: health } };
}
