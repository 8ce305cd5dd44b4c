// The one Elysia app that serves every endpoint: the request lifecycle (id, early refusals, log line,
// metrics) and the error handler first — Elysia applies onError only to routes registered after it — then
// the protocol endpoints and the pages, each an Elysia plugin whose routes declare their input (input.ts).
// Documents fixed at start-up (the metadata) are Bun static routes (`fixed`).
import { Elysia } from 'elysia';
import type { Deps } from './domain/deps.ts';
import { errorHandler, errorResponder } from './http/error-handler.ts';
import { brandKit } from './http/brand.ts';
import { healthRoutes } from './http/routes/health.ts';
import { staticRoutes } from './http/routes/static.ts';
import { authorizeRoutes } from './http/routes/authorize.ts';
import { clientAuthMethods, discoveryRoutes } from './http/routes/discovery.ts';
import { loginRoutes } from './http/routes/login.ts';
import { tokenRoutes } from './http/routes/token.ts';
import { deviceAuthorizationRoutes, deviceGrant, deviceRoutes } from './http/routes/device.ts';
import { GRANT_TYPES, ID_JAG_PROFILE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from './domain/grant-types.ts';
import { jwtBearerEnabled } from './domain/grants/jwt-bearer.ts';
import { registerRoutes } from './http/routes/register.ts';
import { introspectRoutes } from './http/routes/introspect.ts';
import { userinfoRoutes } from './http/routes/userinfo.ts';
import { endSessionRoutes } from './http/routes/end-session.ts';
import { adminRoutes } from './http/routes/admin.ts';
import { CLAIMS_SUPPORTED } from './domain/oidc.ts';
import { revokeRoutes } from './http/routes/revoke.ts';
import { tempTokenRoutes } from './http/routes/temp-tokens.ts';
import { metricsRoutes } from './http/routes/metrics.ts';
import { accountRoutes } from './http/routes/account.ts';
import { CORS_PATHS, corsPreflight } from './http/headers.ts';
import { pathOf, requestLifecycle } from './http/serve.ts';
import type { PeerSource } from './http/context.ts';

export function createApp(deps: Deps) {
  const https = deps.config.baseUrl.startsWith('https:');
  const base = deps.config.baseUrl;
  const discovery = discoveryRoutes(
    deps,
    {
      device_authorization_endpoint: `${base}/device_authorization`,
      grant_types_supported: [
        ...GRANT_TYPES,
        ...(deps.config.tokenExchange ? [TOKEN_EXCHANGE_GRANT] : []),
        ...(jwtBearerEnabled(deps.config) ? [JWT_BEARER_GRANT] : []),
      ],
      // MCP Enterprise-Managed Authorization: the ID-JAG profile of the jwt-bearer grant.
      ...(deps.config.idJagIssuers?.length ? { authorization_grant_profiles_supported: [ID_JAG_PROFILE] } : {}),
      ...(deps.config.registration !== 'off' ? { registration_endpoint: `${base}/register` } : {}),
      ...(deps.config.introspectionToken || deps.config.introspectionClientAuth
        ? { introspection_endpoint: `${base}/introspect`, introspection_endpoint_auth_methods_supported: clientAuthMethods(deps.config, false) }
        : {}),
      revocation_endpoint: `${base}/revoke`,
      revocation_endpoint_auth_methods_supported: clientAuthMethods(deps.config, true),
      client_id_metadata_document_supported: deps.config.clientMetadataDocuments,
      // Non-standard (RFC 8414 §2 allows extensions): the public client `auth login` may use here.
      ...(deps.config.cliClientId ? { auth_cli_client_id: deps.config.cliClientId } : {}),
    },
    {
      // OIDC Discovery §3 (REQUIRED: subject_types_supported, id_token_signing_alg_values_supported).
      userinfo_endpoint: `${base}/userinfo`,
      end_session_endpoint: `${base}/end-session`,
      subject_types_supported: deps.config.pairwiseSalt ? ['public', 'pairwise'] : ['public'],
      id_token_signing_alg_values_supported: deps.keys.idTokenAlgs,
      claims_supported: CLAIMS_SUPPORTED,
      claim_types_supported: ['normal'],
      claims_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    },
  );
  // The pages a person sees: their errors are error pages, not JSON (error-handler.ts).
  const pageGroups = [authorizeRoutes(deps), loginRoutes(deps), deviceRoutes(deps), accountRoutes(deps), endSessionRoutes(deps), adminRoutes(deps)];
  const pageRoutes = new Set(pageGroups.flatMap((g) => g.routes.map((r) => r.path)));
  const onError = errorResponder({ log: deps.log, issuer: base, https, metrics: deps.metrics, pageRoutes, brand: brandKit(deps.config) });
  // The listening server, for the client's address: set by startServer before the first request.
  let listening: PeerSource | null = null;
  const app = new Elysia({ name: 'auth' })
    .use(requestLifecycle({ trustProxy: deps.config.trustProxy, log: deps.log, metrics: deps.metrics, peer: () => listening }))
    .use(errorHandler(onError))
    .use(healthRoutes(deps))
    .use(discovery.routes)
    .use(tokenRoutes(deps, deviceGrant))
    .use(deviceAuthorizationRoutes(deps))
    .use(introspectRoutes(deps))
    .use(userinfoRoutes(deps))
    .use(revokeRoutes(deps))
    .use(registerRoutes(deps))
    .use(tempTokenRoutes(deps))
    .use(metricsRoutes(deps))
    .use(staticRoutes(brandKit(deps.config)));
  for (const g of pageGroups) app.use(g);
  app.options('/*', ({ request }) => (CORS_PATHS.has(pathOf(request.url)) ? corsPreflight() : new Response(null, { status: 404 })));
  const servedBy = (server: PeerSource) => {
    listening = server;
  };
  return { app, fixed: discovery.fixed, onError, servedBy };
}

export type App = ReturnType<typeof createApp>;
