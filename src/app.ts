// The route table. The error handler comes first: Elysia applies onError only to routes registered after it.
import { Elysia } from 'elysia';
import type { Deps } from './domain/deps.ts';
import { errorHandler } from './http/error-handler.ts';
import { healthRoutes } from './http/routes/health.ts';
import { staticRoutes } from './http/routes/static.ts';

export function createApp(deps: Deps) {
  const https = deps.config.baseUrl.startsWith('https:');
  return new Elysia({ name: 'auth' })
    .use(errorHandler({ log: deps.log, issuer: deps.config.baseUrl, https }))
    .use(healthRoutes(deps))
    .use(staticRoutes());
}

export type App = ReturnType<typeof createApp>;
