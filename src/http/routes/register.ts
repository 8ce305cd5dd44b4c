// POST /register — dynamic client registration (RFC 7591 §3). JSON in, 201 with the full metadata out.
// REGISTRATION=open|token|off; per-IP limit with 429 + Retry-After; optional initial access token.
import { Elysia } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { NotFound } from '../../domain/errors.ts';
import { enforceRegistrationLimit, InvalidClientMetadata, registerClient } from '../../domain/registration.ts';
import { requireBearer } from '../bearer.ts';
import { requestMeta } from '../context.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import { readBodyBytes } from '../body.ts';

const MAX_BODY = 16 * 1024;

async function readJson(request: Request): Promise<unknown> {
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) throw new InvalidClientMetadata('the body must be application/json');
  const buf = await readBodyBytes(request, MAX_BODY);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch {
    throw new InvalidClientMetadata('the body is not valid JSON');
  }
}

export function registerRoutes(deps: Deps) {
  const { config } = deps;
  return new Elysia({ name: 'register' }).post(
    '/register',
    async ({ request }) => {
      if (config.registration === 'off') throw new NotFound('dynamic client registration is disabled');
      if (config.registration === 'token') {
        // RFC 7591 §3: the initial access token, compared in constant time.
        requireBearer(request, config.registrationToken!, 'a valid initial access token is required');
      }
      await enforceRegistrationLimit(deps, requestMeta(request).ip);
      const { response } = await registerClient(deps, await readJson(request));
      return new Response(JSON.stringify(response), { status: 201, headers: JSON_NO_STORE_CORS });
    },
    { parse: 'none' },
  );
}
