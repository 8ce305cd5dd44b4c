// The temp-token HTTP API for resource servers (guarded by ADMIN_TOKEN; 503 when unset) and the
// invitation / password-reset page that temp tokens open.
//   POST   /temp-tokens            {scope, resource_id, ttl} → {token, expires_at}
//   POST   /temp-tokens/validate   {token, method, path}     → {id, scope, resource_id} | 401
//   DELETE /temp-tokens?scope=…&resource_id=…               → {deleted}
//   GET    /set-password/:id       the page;  POST /set-password/:id  {password, confirm} with X-Temp-Token
import { Elysia, t } from 'elysia';
import { brandKit } from '../brand.ts';
import { SetPasswordPage } from '../../../templates/set-password.tsx';
import { parseDuration } from '../../config.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidRequest, OAuthError, TemporarilyUnavailable } from '../../domain/errors.ts';
import { passwordProblem, setPasswordFromLink } from '../../domain/passwords.ts';
import { SET_PASSWORD_SCOPE, TempTokenError } from '../../domain/temp-tokens.ts';
import { requireBearer } from '../bearer.ts';
import { JSON_NO_STORE } from '../headers.ts';
import * as input from '../input.ts';
import { param, segment } from '../input.ts';
import { page } from '../render.ts';
import { requestMeta } from '../context.ts';
import { requireTempToken, TempTokenUnauthorized } from '../temp-token-auth.ts';

const MAX_BODY = 8 * 1024;
const MintBody = t.Object({
  scope: t.String({ maxLength: 64 }),
  resource_id: t.String({ maxLength: 200 }),
  ttl: t.Union([t.Number(), t.String({ maxLength: 32 })]),
});
const ValidateBody = t.Object({ token: t.String({ maxLength: 4096 }), method: t.String({ maxLength: 16 }), path: t.String({ maxLength: 4096 }) });
const DeleteQuery = t.Object({ scope: param(64), resource_id: param(200) });
const IdParams = t.Object({ id: segment(64) });
const SetPasswordBody = t.Object({ password: t.Optional(t.String({ maxLength: 4096 })), confirm: t.Optional(t.String({ maxLength: 4096 })) });

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: JSON_NO_STORE });

export function tempTokenRoutes(deps: Deps) {
  const admin = (request: Request) => {
    const configured = deps.config.adminToken;
    if (!configured) throw new TemporarilyUnavailable('the temp-token API is disabled (set ADMIN_TOKEN)');
    requireBearer(request, configured, 'a valid admin token is required', 'auth-admin');
  };
  const typed = (e: unknown) => {
    if (e instanceof TempTokenError)
      return new OAuthError(e.code, e.message, e.code === 'route_not_allowed' || e.code === 'not_found' || e.code === 'expired' ? 401 : 400);
    return e;
  };

  return new Elysia({ name: 'temp-tokens' })
    .post(
      '/temp-tokens',
      async ({ body: b }) => {
        if (b.scope === SET_PASSWORD_SCOPE.name) throw new InvalidRequest('set_password tokens are minted by `auth users invite` only');
        const ttl = typeof b.ttl === 'number' ? b.ttl : parseDuration(b.ttl);
        if (ttl === null) throw new InvalidRequest('ttl must be seconds or a duration such as 15m');
        try {
          const t = await deps.tempTokens.mint(b.scope, b.resource_id, ttl);
          return json({ token: t.token, expires_at: t.expiresAt }, 201);
        } catch (e) {
          throw typed(e);
        }
      },
      input.json(MintBody, { limit: MAX_BODY, before: admin, headers: input.authorizationHeader }),
    )
    .post(
      '/temp-tokens/validate',
      async ({ body: b }) => {
        try {
          const v = await deps.tempTokens.validate(b.token, b.method, b.path);
          return json({ id: v.id, scope: v.scope, resource_id: v.resourceId });
        } catch (e) {
          if (e instanceof TempTokenError) return json({ error: e.code, error_description: e.message }, 401);
          throw e;
        }
      },
      input.json(ValidateBody, { limit: MAX_BODY, before: admin, headers: input.authorizationHeader }),
    )
    .delete(
      '/temp-tokens',
      async ({ request, query }) => {
        admin(request);
        if (!query.scope || !query.resource_id) throw new InvalidRequest('scope and resource_id are required');
        return json({ deleted: await deps.tempTokens.deleteByResource(query.scope, query.resource_id) });
      },
      input.query(DeleteQuery, { headers: input.authorizationHeader }),
    )
    .get(
      '/set-password/:id',
      ({ params }) => {
        const kit = brandKit(deps.config);
        return page(kit, SetPasswordPage({ brand: kit.brand, userId: params.id }), deps.config.baseUrl.startsWith('https:'));
      },
      { params: IdParams },
    )
    .post(
      '/set-password/:id',
      async ({ request, params, body: b }) => {
        const password = b.password ?? '';
        // Check the password before the single-use token is spent on it.
        const problem = passwordProblem(password);
        if (problem) return json({ error: 'invalid_request', error_description: problem }, 400);
        if (b.confirm !== undefined && b.confirm !== password) return json({ error: 'invalid_request', error_description: 'the two passwords differ' }, 400);
        let userId: string;
        try {
          userId = (await requireTempToken(deps, request)).resourceId;
        } catch (e) {
          if (e instanceof TempTokenUnauthorized) return json({ error: 'unauthorized', error_description: e.description }, 401);
          throw e;
        }
        const user = await setPasswordFromLink(deps, { userId, pageUserId: params.id, password, ip: requestMeta(request).ip });
        if (!user) return json({ error: 'unauthorized', error_description: 'this link is invalid' }, 401);
        return json({ ok: true, username: user.username, message: `Password set for ${user.username}. You can sign in now.` });
      },
      { ...input.json(SetPasswordBody, { limit: MAX_BODY }), params: IdParams },
    );
}
