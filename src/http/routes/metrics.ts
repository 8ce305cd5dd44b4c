// GET /metrics — Prometheus text format; `Authorization: Bearer $METRICS_TOKEN` when it is set.
import { Elysia } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { OAuthError } from '../../domain/errors.ts';
import { equalSecrets } from '../../security/compare.ts';

export function metricsRoutes(deps: Deps) {
  return new Elysia({ name: 'metrics' }).get('/metrics', ({ request }) => {
    const token = deps.config.metricsToken;
    if (token) {
      const given = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
      if (!given || !equalSecrets(given, token)) {
        const e = new OAuthError('invalid_token', 'a valid metrics token is required', 401);
        e.headers['WWW-Authenticate'] = 'Bearer realm="metrics"';
        throw e;
      }
    }
    return new Response(deps.metrics.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' } });
  });
}
