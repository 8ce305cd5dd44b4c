// `auth logout [NAME]` — revoke the refresh token (RFC 7009) and forget the credentials.
// `auth status [--json]` — names, servers, who, scopes, expiry.
import { CredentialsError } from '../client/credentials.ts';
import { decodeJwt } from 'jose';
import { describeIdentity, type Identity } from '../client/identity.ts';
import { OAuthClientError, revokeToken } from '../client/flows.ts';
import { CommandError, parse } from './args.ts';
import { clientStore, pickCredential } from './client-env.ts';
import { isoSeconds, printTable, relativeTime } from './output.ts';

export async function logoutCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, 'logout');
  const store = clientStore();
  try {
    const data = store.read();
    const [name, cred] = pickCredential(data, positionals[0]);
    const endpoint = data.servers[cred.issuer]?.metadata.revocation_endpoint;
    let revoked = false;
    if (endpoint) {
      try {
        if (cred.refresh_token) await revokeToken(endpoint, cred.client_id, cred.refresh_token, 'refresh_token');
        await revokeToken(endpoint, cred.client_id, cred.access_token, 'access_token');
        revoked = true;
      } catch (e) {
        if (!(e instanceof OAuthClientError) && !(e instanceof TypeError)) throw e;
        process.stderr.write(`warning: could not revoke at ${endpoint}: ${(e as Error).message}\n`);
      }
    }
    await store.withLock(async () => {
      store.update((d) => {
        delete d.credentials[name];
      });
    });
    process.stderr.write(
      `Logged out of ${name}${revoked ? ' (tokens revoked)' : endpoint ? '' : ' (the server has no revocation endpoint; tokens forgotten)'}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof CredentialsError) throw new CommandError(e.message);
    throw e;
  }
}

export async function statusCommand(args: string[]): Promise<number> {
  const { values } = parse(args, 'status');
  const store = clientStore();
  let data: ReturnType<typeof store.read>;
  try {
    data = store.read();
  } catch (e) {
    if (e instanceof CredentialsError) throw new CommandError(e.message);
    throw e;
  }
  const now = Math.floor(Date.now() / 1000);
  const rows = Object.entries(data.credentials).map(([name, c]) => ({
    name,
    issuer: c.issuer,
    target: c.target,
    resource: c.resource ?? null,
    client_id: c.client_id,
    identity: c.identity ?? subjectOf(c.access_token),
    scope: c.scope,
    expires_at: isoSeconds(c.expires_at),
    expired: c.expires_at <= now,
    refreshable: !!c.refresh_token,
  }));
  if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (!rows.length) process.stdout.write('not logged in anywhere; sign in with: auth login TARGET\n');
  else
    printTable(
      ['NAME', 'SERVER', 'SIGNED IN AS', 'SCOPES', 'TOKEN'],
      rows.map((r) => [
        r.name,
        r.resource ? `${r.issuer} for ${r.resource}` : r.issuer,
        r.identity ? describeIdentity(r.identity) : null,
        r.scope,
        `${r.expired ? 'expired' : 'expires'} ${relativeTime(Date.parse(r.expires_at) / 1000, now)}${r.refreshable ? ' (refreshable)' : ''}`,
      ]),
    );
  return 0;
}

/** The `sub` of a JWT access token, for display only (not verified), when no ID token said who signed in. */
function subjectOf(token: string): Identity | null {
  try {
    const claims = decodeJwt(token);
    return typeof claims.sub === 'string' ? { sub: claims.sub } : null;
  } catch {
    return null;
  }
}
