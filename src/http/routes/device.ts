// RFC 8628: POST /device_authorization (also /oauth/device/code, AuthGate) and the pages GET|POST /device
// (also /device/verify), POST /device/confirm. Wrong codes are rate limited per IP and per session.
import { Elysia } from 'elysia';
import { DeviceConfirmPage, DeviceDonePage, DeviceEntryPage } from '../../../templates/device.tsx';
import { rememberConsent } from '../../domain/authorization.ts';
import { authenticateClient } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { decideDevice, findPendingDevice, formatUserCode, normalizeUserCode, startDeviceAuthorization } from '../../domain/device.ts';
import { pollDeviceCode } from '../../domain/grants/device-code.ts';
import { TooManyRequests } from '../../domain/errors.ts';
import { enforce } from '../../domain/rate-limit.ts';
import { requestMeta } from '../context.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import { pageContext, postedForm, redirect, type PageContext } from '../page-context.ts';
import { formParams, queryParams, type ParamSpec } from '../params.ts';
import { asPage } from './login.ts';
import { clientCredentialsOf } from './token.ts';
import type { RouteTable } from '../serve.ts';

export const DEVICE_AUTHORIZATION_PARAMS: ParamSpec = {
  client_id: { max: 256 },
  client_secret: { max: 512 },
  scope: { max: 2000 },
  resource: { max: 2000, repeat: true },
};
const ENTRY_QUERY: ParamSpec = { user_code: { max: 32 } };
const ENTRY_FORM: ParamSpec = { csrf: { max: 64 }, user_code: { max: 32 } };
const CONFIRM_FORM: ParamSpec = { csrf: { max: 64 }, user_code: { max: 32 }, decision: { max: 8 } };

/** The token endpoint's handler for grant_type=urn:ietf:params:oauth:grant-type:device_code. */
export const deviceGrant = {
  'urn:ietf:params:oauth:grant-type:device_code': (deps: Deps, client: Parameters<typeof pollDeviceCode>[1], p: { get(n: string): string | undefined }) =>
    pollDeviceCode(deps, client, p.get('device_code')),
};

function loginFirst(userCode: string | undefined): Response {
  const next = userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : '/device';
  return redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}

/** Rate limit of wrong user codes: per IP and per session (RFC 8628 §5.1 brute force). */
function checkEntryLimit(deps: Deps, ip: string, sessionId: string): void {
  const wait = Math.max(deps.limits.deviceEntry.blockedFor(`ip:${ip}`), deps.limits.deviceEntry.blockedFor(`session:${sessionId}`));
  if (wait > 0) {
    deps.metrics.rateLimited('device_entry');
    throw new TooManyRequests(wait, 'too many wrong codes; wait a few minutes and try again');
  }
}

function entryPage(ctx: PageContext, userCode: string, error?: string, status = 200): Response {
  return ctx.render(DeviceEntryPage({ csrf: ctx.csrf, userCode, error, username: ctx.session!.user.username }), status);
}

/** The device authorization endpoint (RFC 8628 §3.1–3.2), on the native router. */
export function deviceAuthorizationRoutes(deps: Deps): RouteTable {
  const authorizeDevice = async (request: Request) => {
    enforce(deps.limits.deviceIp, requestMeta(request).ip, () => deps.metrics.rateLimited('device_authorization'));
    const p = await formParams(request, DEVICE_AUTHORIZATION_PARAMS);
    const client = await authenticateClient(deps, clientCredentialsOf(request, p));
    const body = await startDeviceAuthorization(deps, client, { scope: p.get('scope'), resources: p.all('resource') });
    return new Response(JSON.stringify(body), { headers: JSON_NO_STORE_CORS });
  };
  return { '/device_authorization': { POST: authorizeDevice }, '/oauth/device/code': { POST: authorizeDevice } };
}

/** The verification pages (RFC 8628 §3.3). */
export function deviceRoutes(deps: Deps) {
  const entry = ({ request }: { request: Request }) =>
    asPage(deps, request, async () => {
      const q = queryParams(request, ENTRY_QUERY);
      const ctx = await pageContext(deps, request);
      const typed = q.get('user_code');
      if (!ctx.session) return loginFirst(typed);
      // Prefilled from verification_uri_complete; the person still confirms on the next page.
      const code = typed ? normalizeUserCode(typed) : null;
      return entryPage(ctx, code ? formatUserCode(code) : '');
    });

  return new Elysia({ name: 'device' })
    .get('/device', entry)
    .get('/device/verify', entry)
    .post('/device', ({ request }) =>
      asPage(deps, request, async () => {
        const { f, ctx } = await postedForm(deps, request, ENTRY_FORM);
        const typed = f.get('user_code') ?? '';
        if (!ctx.session) return loginFirst(typed);
        const ip = requestMeta(request).ip;
        checkEntryLimit(deps, ip, ctx.session.session.id);
        const found = await findPendingDevice(deps, typed);
        if (!found) {
          deps.limits.deviceEntry.hit(`ip:${ip}`);
          deps.limits.deviceEntry.hit(`session:${ctx.session.session.id}`);
          deps.log.warn('wrong device user code', { ip, user_id: ctx.session.user.id });
          return entryPage(ctx, typed, 'That code is not valid or has expired. Check the code on your device.', 400);
        }
        return ctx.render(
          DeviceConfirmPage({
            csrf: ctx.csrf,
            userCode: formatUserCode(found.row.userCode),
            clientName: found.client.name,
            clientId: found.client.id,
            scopes: found.row.scope.split(' ').filter(Boolean),
            resources: found.row.resource,
            username: ctx.session.user.username,
            unverifiedName: found.client.origin === 'dynamic',
          }),
        );
      }),
    )
    .post('/device/confirm', ({ request }) =>
      asPage(deps, request, async () => {
        const { f, ctx } = await postedForm(deps, request, CONFIRM_FORM);
        if (!ctx.session) return loginFirst(f.get('user_code'));
        const found = await findPendingDevice(deps, f.get('user_code') ?? '');
        if (!found) return entryPage(ctx, '', 'That code is no longer valid. Start again on your device.', 400);
        const approve = f.get('decision') === 'approve';
        const decided = await decideDevice(deps, found.row, ctx.session.user, ctx.session.session.authTime, approve);
        if (!decided) return entryPage(ctx, '', 'That code is no longer valid. Start again on your device.', 400);
        if (approve && !found.client.firstParty) {
          await rememberConsent(
            deps,
            { client: found.client, scopes: found.row.scope.split(' ').filter(Boolean), resources: found.row.resource },
            ctx.session.user,
          );
        }
        deps.log.info(approve ? 'device approved' : 'device denied', { client_id: found.client.id, user_id: ctx.session.user.id });
        return ctx.render(DeviceDonePage({ approved: approve, clientName: found.client.name }));
      }),
    );
}
