// `auth logout [NAME]` — revoke the refresh token (RFC 7009) and forget the credentials.
// `auth status [--json]` — names, servers, scopes, expiry.
import { CredentialsError } from '../client/credentials.ts';
import { describeIdentity } from '../client/identity.ts';
import { OAuthClientError, revokeToken } from '../client/flows.ts';
import { CommandError, parse } from './args.ts';
import { clientStore, pickCredential } from './client-env.ts';

export async function logoutCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, 1);
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
  const { values } = parse(args, { json: { type: 'boolean' } });
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
    ...(c.identity ? { identity: c.identity } : {}),
    scope: c.scope,
    expires_at: new Date(c.expires_at * 1000).toISOString(),
    expired: c.expires_at <= now,
    refreshable: !!c.refresh_token,
  }));
  if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (!rows.length) process.stdout.write('not logged in anywhere\n');
  else
    for (const r of rows)
      process.stdout.write(
        `${r.name}\t${r.issuer}\t${r.identity ? describeIdentity(r.identity) : '-'}\t${r.scope || '-'}\t${r.expired ? 'expired' : 'valid until'} ${r.expires_at}${r.refreshable ? ' (refreshable)' : ''}\n`,
      );
  return 0;
}
