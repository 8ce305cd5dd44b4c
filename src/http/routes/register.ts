// POST /register — dynamic client registration (RFC 7591 §3). JSON in, 201 with the full metadata out.
// REGISTRATION=open|token|off; per-IP limit with 429 + Retry-After; optional initial access token.
import { Elysia, t } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { NotFound } from '../../domain/errors.ts';
import { enforceRegistrationLimit, InvalidClientMetadata, registerClient } from '../../domain/registration.ts';
import { requireBearer } from '../bearer.ts';
import { requestMeta } from '../context.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import * as input from '../input.ts';

export function registerRoutes(deps: Deps) {
  const { config } = deps;
  // Registration off, the initial access token and the per-IP limit are checked before the body is read.
  const gate = async (request: Request) => {
    if (config.registration === 'off') throw new NotFound('dynamic client registration is disabled');
    if (config.registration === 'token') {
      // RFC 7591 §3: the initial access token, compared in constant time.
      requireBearer(request, config.registrationToken!, 'a valid initial access token is required');
    }
    await enforceRegistrationLimit(deps, requestMeta(request).ip);
  };
  return new Elysia({ name: 'register' }).post(
    '/register',
    async ({ body }) => {
      const { response } = await registerClient(deps, body);
      return new Response(JSON.stringify(response), { status: 201, headers: JSON_NO_STORE_CORS });
    },
    // The metadata's schema (domain/registration.ts ClientMetadata) is checked by registerClient: RFC 7591
    // §3.2.2 answers invalid_redirect_uri / invalid_client_metadata, not invalid_request.
    input.json(t.Unknown(), { limit: 16 * 1024, before: gate, refuse: (d) => new InvalidClientMetadata(d), headers: input.authorizationHeader }),
  );
}
