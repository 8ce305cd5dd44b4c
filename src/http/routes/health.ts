// GET /health: 200 when the store answers, 503 otherwise (load balancers and `auth healthcheck`).
import { Elysia } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { checkHealth } from '../../domain/health.ts';

export function healthRoutes(deps: Deps) {
  const health = async () => {
    const body = await checkHealth(deps.store);
    return new Response(JSON.stringify(body), {
      status: body.status === 'ok' ? 200 : 503,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    });
  };
  return new Elysia({ name: 'health' }).get('/health', health);
}
