// RFC 8628: POST /device_authorization (also /oauth/device/code, AuthGate) and the pages GET|POST /device
// (also /device/verify), POST /device/confirm. Wrong codes are rate limited per IP and per session.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
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
import * as input from '../input.ts';
import { param, repeated } from '../input.ts';
import { pages, redirect, type PageContext } from '../page-context.ts';
import { CLIENT_AUTH_FIELDS, clientCredentialsOf } from './token.ts';

const DeviceAuthorizationForm = t.Object({ ...CLIENT_AUTH_FIELDS, scope: param(2000), resource: repeated(2000) });
const EntryQuery = t.Object({ user_code: param(32) });
const EntryForm = t.Object({ csrf: param(64), user_code: param(32) });
const ConfirmForm = t.Object({ csrf: param(64), user_code: param(32), decision: param(8) });

/** The token endpoint's handler for grant_type=urn:ietf:params:oauth:grant-type:device_code. */
export const deviceGrant = {
  'urn:ietf:params:oauth:grant-type:device_code': (
    deps: Deps,
    client: Parameters<typeof pollDeviceCode>[1],
    p: { device_code?: string },
    origin: Parameters<typeof pollDeviceCode>[3],
    jkt: string | null,
  ) => pollDeviceCode(deps, client, p.device_code, origin, jkt),
};

function loginFirst(userCode: string | undefined): Response {
  const next = userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : '/device';
  return redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}

/** Rate limit of wrong user codes: per IP and per session (RFC 8628 §5.1 brute force). */
async function checkEntryLimit(deps: Deps, ip: string, sessionId: string): Promise<void> {
  const wait = Math.max(await deps.limits.deviceEntry.blockedFor(`ip:${ip}`), await deps.limits.deviceEntry.blockedFor(`session:${sessionId}`));
  if (wait > 0) {
    deps.metrics.rateLimited('device_entry');
    throw new TooManyRequests(wait, 'too many wrong codes; wait a few minutes and try again');
  }
}

function entryPage(ctx: PageContext, userCode: string, error?: string, status = 200): Response {
  return ctx.render(DeviceEntryPage({ brand: ctx.brand, csrf: ctx.csrf, userCode, error, username: ctx.session!.user.username }), status);
}

/** The device authorization endpoint (RFC 8628 §3.1–3.2). */
export function deviceAuthorizationRoutes(deps: Deps) {
  const authorizeDevice = async ({ request, body }: { request: Request; body: Static<typeof DeviceAuthorizationForm> }) => {
    const client = await authenticateClient(deps, clientCredentialsOf(request, body));
    const started = await startDeviceAuthorization(deps, client, { scope: body.scope, resources: body.resource ?? [] });
    return new Response(JSON.stringify(started), { headers: JSON_NO_STORE_CORS });
  };
  // The per-IP limit runs before the body is read.
  const hooks = input.form(DeviceAuthorizationForm, {
    before: (request) => enforce(deps.limits.deviceIp, requestMeta(request).ip, () => deps.metrics.rateLimited('device_authorization')),
    headers: input.authorizationHeader,
  });
  return new Elysia({ name: 'device-authorization' }).post('/device_authorization', authorizeDevice, hooks).post('/oauth/device/code', authorizeDevice, hooks);
}

/** The verification pages (RFC 8628 §3.3). */
export function deviceRoutes(deps: Deps) {
  /** The confirmation page for a typed (or linked) code, or the entry page again with what was wrong. */
  const confirmation = async (page: PageContext, typed: string, ip: string): Promise<Response> => {
    const session = page.session!;
    await checkEntryLimit(deps, ip, session.session.id);
    const found = await findPendingDevice(deps, typed);
    if (!found) {
      await Promise.all([deps.limits.deviceEntry.hit(`ip:${ip}`), deps.limits.deviceEntry.hit(`session:${session.session.id}`)]);
      deps.log.warn('wrong device user code', { ip, user_id: session.user.id });
      return entryPage(page, typed, 'That code is not valid or has expired. Check the code on your device.', 400);
    }
    return page.render(
      DeviceConfirmPage({
        brand: page.brand,
        csrf: page.csrf,
        userCode: formatUserCode(found.row.userCode),
        clientName: found.client.name,
        clientId: found.client.id,
        scopes: found.row.scope.split(' ').filter(Boolean),
        resources: found.row.resource,
        username: session.user.username,
        unverifiedName: found.client.origin === 'dynamic' || found.client.origin === 'metadata_document',
      }),
    );
  };

  const entry = ({ query, page, request }: { query: Static<typeof EntryQuery>; page: PageContext; request: Request }) => {
    const typed = query.user_code;
    if (!page.session) return loginFirst(typed);
    // verification_uri_complete (RFC 8628 §3.3.1): straight to the confirmation, which shows the code to
    // compare with the device's and still needs Approve; a malformed code is only prefilled.
    const code = typed ? normalizeUserCode(typed) : null;
    if (code) return confirmation(page, typed!, requestMeta(request).ip);
    return entryPage(page, '');
  };

  return new Elysia({ name: 'device' })
    .use(pages(deps))
    .get('/device', entry, input.query(EntryQuery))
    .get('/device/verify', entry, input.query(EntryQuery))
    .post(
      '/device',
      ({ body, page, request }) => {
        if (!page.session) return loginFirst(body.user_code);
        return confirmation(page, body.user_code ?? '', requestMeta(request).ip);
      },
      input.form(EntryForm),
    )
    .post(
      '/device/confirm',
      async ({ body, page }) => {
        if (!page.session) return loginFirst(body.user_code);
        const found = await findPendingDevice(deps, body.user_code ?? '');
        if (!found) return entryPage(page, '', 'That code is no longer valid. Start again on your device.', 400);
        const approve = body.decision === 'approve';
        const decided = await decideDevice(deps, found.row, page.session.user, page.session.session, approve);
        if (!decided) return entryPage(page, '', 'That code is no longer valid. Start again on your device.', 400);
        if (approve && !found.client.firstParty) {
          await rememberConsent(
            deps,
            { client: found.client, scopes: found.row.scope.split(' ').filter(Boolean), resources: found.row.resource },
            page.session.user,
          );
        }
        deps.log.info(approve ? 'device approved' : 'device denied', { client_id: found.client.id, user_id: page.session.user.id });
        return page.render(DeviceDonePage({ brand: page.brand, approved: approve, clientName: found.client.name }));
      },
      input.form(ConfirmForm),
    );
}
