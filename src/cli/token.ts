// `auth token [NAME] [--json]` — print a valid access token (nothing else on stdout), refreshing it first
// when it expires within 60 s. Concurrent invocations refresh once: the refresh runs under a file lock and
// re-reads the file after taking it. Exit 1 when a new login is needed (the command is on stderr).
// `--dpop-proof METHOD --url URL` prints a DPoP proof (RFC 9449 §4) for that request instead, for scripts.
import { CredentialsError, type CredentialStore, type StoredCredential } from '../client/credentials.ts';
import { dpopProof } from '../client/dpop.ts';
import { OAuthClientError, refreshTokens } from '../client/flows.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { clientStore, pickCredential } from './client-env.ts';

const MIN_VALIDITY_S = 60;

export async function tokenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, 'token');
  if ((values['dpop-proof'] === undefined) !== (values.url === undefined)) throw new UsageError('--dpop-proof METHOD and --url URL go together');
  if (values.url !== undefined && !URL.canParse(values.url)) throw new UsageError('--url must be an absolute URL');
  const store = clientStore();
  try {
    const [, cred] = await freshCredential(store, positionals[0]);
    if (values['dpop-proof'] !== undefined) {
      if (!cred.dpop) throw new CommandError('these credentials are bearer tokens, not DPoP-bound; sign in again without --no-dpop to get bound ones');
      process.stdout.write(`${await dpopProof(cred.dpop, values['dpop-proof'].toUpperCase(), values.url!, cred.access_token)}\n`);
      return 0;
    }
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ access_token: cred.access_token, token_type: cred.token_type, expires_in: cred.expires_at - Math.floor(Date.now() / 1000), scope: cred.scope, ...(cred.resource ? { resource: cred.resource } : {}), issuer: cred.issuer })}\n`,
      );
    } else process.stdout.write(`${cred.access_token}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CredentialsError) throw new CommandError(e.message);
    throw e;
  }
}

/** The named (or only) credential with an access token valid for at least a minute more, refreshed if needed. */
export async function freshCredential(store: CredentialStore, wanted: string | undefined): Promise<[string, StoredCredential]> {
  let [name, cred] = pickCredential(store.read(), wanted);
  const fresh = (c: StoredCredential) => c.expires_at - Math.floor(Date.now() / 1000) > MIN_VALIDITY_S;
  if (fresh(cred)) return [name, cred];
  cred = await store.withLock(async () => {
    // Another process may have refreshed while we waited for the lock.
    const data = store.read();
    const current = data.credentials[name];
    if (!current) throw new CommandError(`credentials ${name} were removed; run: auth login ${cred.target} --name ${name}`);
    if (fresh(current)) return current;
    const endpoint = data.servers[current.issuer]?.metadata.token_endpoint;
    if (!current.refresh_token || !endpoint)
      throw new CommandError(`the token of ${name} expired and cannot be refreshed; run: auth login ${current.target} --name ${name}`);
    let t: Awaited<ReturnType<typeof refreshTokens>>;
    try {
      // A DPoP-bound refresh token (public client) needs a proof by the same key (RFC 9449 §5).
      t = await refreshTokens(endpoint, current.client_id, current.refresh_token, current.resource, current.dpop);
    } catch (e) {
      if (e instanceof OAuthClientError) throw new CommandError(`${e.message}; run: auth login ${current.target} --name ${name}`);
      throw e;
    }
    const now = Math.floor(Date.now() / 1000);
    const next: StoredCredential = {
      ...current,
      access_token: t.access_token,
      refresh_token: t.refresh_token ?? current.refresh_token, // servers that do not rotate keep the old one
      scope: t.scope ?? current.scope,
      expires_at: now + (t.expires_in ?? 3600),
      token_type: t.token_type ?? current.token_type,
      obtained_at: now,
    };
    data.credentials[name] = next;
    store.write(data);
    return next;
  });
  return [name, cred];
}
