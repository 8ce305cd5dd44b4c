// GET /metrics — Prometheus text format; `Authorization: Bearer $METRICS_TOKEN` when it is set.
import { Elysia } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { requireBearer } from '../bearer.ts';
import * as input from '../input.ts';

export function metricsRoutes(deps: Deps) {
  return new Elysia({ name: 'metrics' }).get(
    '/metrics',
    ({ request }) => {
      const token = deps.config.metricsToken;
      if (token) requireBearer(request, token, 'a valid metrics token is required', 'metrics');
      return new Response(deps.metrics.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' } });
    },
    input.headers(input.authorizationHeader),
  );
}
