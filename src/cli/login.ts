// `auth login TARGET` — get a token for any OAuth 2.1 / MCP server and keep it per name (flags: the
// command table in commands.ts).
import { discover, DiscoveryError, type Discovery, targetUrl } from '../client/discovery.ts';
import type { StoredCredential } from '../client/credentials.ts';
import { codeFlow, deviceFlow, OAuthClientError, registerPublicClient, startLoopback, type TokenResponse } from '../client/flows.ts';
import { CredentialsError } from '../client/credentials.ts';
import { describeIdentity, identityOf } from '../client/identity.ts';
import { parseDuration } from '../config.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { clientStore, noDisplay } from './client-env.ts';
import { newDpopKey } from '../client/dpop.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);

export async function loginCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, 'login');
  const target = targetUrl(positionals[0]!);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
  const timeoutS = parseDuration(values.timeout!);
  if (!timeoutS) throw new UsageError('--timeout is a duration such as 5m');

  const store = clientStore();
  let d: Discovery;
  try {
    d = await discover(target);
  } catch (e) {
    if (e instanceof DiscoveryError) throw new CommandError(e.message);
    throw e;
  }
  if (d.metadata.aliasOf) say(`${new URL(d.metadata.aliasOf).host} is the same server as ${d.issuer} (its name for itself); using ${d.issuer}`);
  const name = values.name ?? defaultName(store.read().credentials, d.issuer, target);
  const resource = values.resource ?? d.resource;
  const asked = values.scope?.flatMap((s) => s.split(/\s+/)).filter(Boolean) ?? d.resourceScopes;
  // OpenID Connect when the server offers it: the ID token and userinfo say who signed in (`auth status`),
  // with the profile and email scopes where the server lists them.
  const supported = d.metadata.scopes_supported ?? [];
  const identityScopes = supported.includes('openid') ? ['openid', 'profile', 'email'].filter((s) => supported.includes(s) && !asked.includes(s)) : [];
  const scopes = [...identityScopes, ...asked];
  const offersDevice = !!d.metadata.device_authorization_endpoint;
  const useDevice = !!values.device || (!values['no-browser'] && values.port === undefined && noDisplay() && offersDevice);
  if (values.device && !offersDevice) throw new CommandError(`${d.issuer} does not offer the device flow`);
  // RFC 9449: DPoP-bound tokens whenever the server offers them (a stolen token file is then useless without
  // the key, which lives in the same file only encrypted when AUTH_CREDENTIALS_KEY is set).
  const dpop = !values['no-dpop'] && d.metadata.dpop_signing_alg_values_supported?.includes('ES256') ? await newDpopKey() : null;
  say(`Signing in to ${d.issuer}${resource ? ` for ${resource}` : ''}${useDevice ? ' (device flow)' : ''}${dpop ? ' with DPoP' : ''}`);

  const cached = store.read().servers[d.issuer];
  let clientId = values['client-id'] ?? cached?.client_id ?? d.metadata.auth_cli_client_id;
  let registered = !values['client-id'] && !!cached?.registered && clientId === cached?.client_id;
  const loopback = useDevice ? null : startLoopback(port);
  if (loopback && port)
    say(`Listening on 127.0.0.1:${loopback.port}. If your browser runs on another machine: ssh -L ${loopback.port}:127.0.0.1:${loopback.port} <this host>`);
  const register = async () => {
    const uris = loopback ? ['http://127.0.0.1/callback', loopback.redirectUri] : ['http://127.0.0.1/callback'];
    clientId = await registerPublicClient(d.metadata, uris, useDevice);
    registered = true;
    say(`Registered client ${clientId}`);
  };
  try {
    if (!clientId) await register();
    const run = (): Promise<TokenResponse> =>
      useDevice
        ? deviceFlow({
            metadata: d.metadata,
            clientId: clientId!,
            scopes,
            resource,
            say,
            tty: !!process.stderr.isTTY,
            qr: !values['no-qr'] && !!process.stderr.isTTY,
            open: !!values.open,
            dpop,
          })
        : codeFlow(
            {
              metadata: d.metadata,
              issuer: d.issuer,
              clientId: clientId!,
              scopes,
              resource,
              port,
              browser: !values['no-browser'],
              timeoutMs: timeoutS * 1000,
              say,
              noBrowserHint: offersDevice ? `run: auth login ${positionals[0]} --device` : undefined,
              dpop,
            },
            loopback!,
          );
    let tokens: TokenResponse;
    try {
      tokens = await run();
    } catch (e) {
      // A cached or registered client the server no longer knows: register again, once.
      if (!(e instanceof OAuthClientError && e.error === 'invalid_client') || values['client-id'] || !d.metadata.registration_endpoint) throw e;
      say('The server does not know this client any more; registering again.');
      await register();
      tokens = await run();
    }
    const now = Math.floor(Date.now() / 1000);
    const identity = await identityOf(d.metadata, clientId!, tokens, dpop);
    store.update((data) => {
      data.servers[d.issuer] = { metadata: d.metadata, client_id: clientId, registered };
      data.credentials[name] = {
        target,
        issuer: d.issuer,
        client_id: clientId!,
        ...(resource ? { resource } : {}),
        scope: tokens.scope ?? scopes.join(' '),
        access_token: tokens.access_token,
        ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
        expires_at: now + (tokens.expires_in ?? 3600),
        token_type: tokens.token_type ?? 'Bearer',
        obtained_at: now,
        ...(identity ? { identity } : {}),
        ...(dpop && tokens.token_type?.toLowerCase() === 'dpop' ? { dpop } : {}),
      };
    });
    say(
      `Signed in${identity ? ` as ${describeIdentity(identity)}` : ''}. Credentials saved as "${name}" in ${store.file}; print a token with: auth token ${name}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof OAuthClientError || e instanceof CredentialsError) throw new CommandError(e.message);
    throw e;
  } finally {
    await loopback?.stop();
  }
}

/**
 * The credentials' default name: the server's host name (`localhost`, `auth.example.com`); with the port
 * when that name already holds credentials for another server.
 */
export function defaultName(existing: Record<string, StoredCredential>, issuer: string, target: string): string {
  const u = new URL(target);
  const short = u.hostname.replace(/^\[|\]$/g, '');
  if (!existing[short] || existing[short].issuer === issuer) return short;
  return u.host;
}
