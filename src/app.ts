// The route table. The error handler comes first: Elysia applies onError only to routes registered after it.
import { Elysia } from 'elysia';
import type { Deps } from './domain/deps.ts';
import { errorHandler } from './http/error-handler.ts';
import { healthRoutes } from './http/routes/health.ts';
import { staticRoutes } from './http/routes/static.ts';
import { authorizeRoutes } from './http/routes/authorize.ts';
import { discoveryRoutes } from './http/routes/discovery.ts';
import { loginRoutes } from './http/routes/login.ts';
import { tokenRoutes } from './http/routes/token.ts';
import { deviceGrant, deviceRoutes } from './http/routes/device.ts';
import { DEVICE_GRANT } from './domain/seed.ts';
import { CORS_PATHS, corsPreflight } from './http/headers.ts';

export function createApp(deps: Deps) {
  const https = deps.config.baseUrl.startsWith('https:');
  return new Elysia({ name: 'auth' })
    .use(errorHandler({ log: deps.log, issuer: deps.config.baseUrl, https }))
    .use(healthRoutes(deps))
    .use(staticRoutes())
    .use(
      discoveryRoutes(deps, {
        device_authorization_endpoint: `${deps.config.baseUrl}/device_authorization`,
        grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_GRANT],
      }),
    )
    .use(authorizeRoutes(deps))
    .use(loginRoutes(deps))
    .use(tokenRoutes(deps, deviceGrant))
    .use(deviceRoutes(deps))
    .options('/*', ({ request }) => (CORS_PATHS.has(new URL(request.url).pathname) ? corsPreflight() : new Response(null, { status: 404 })));
}

export type App = ReturnType<typeof createApp>;
