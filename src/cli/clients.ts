// `auth clients add|list|show|remove|rotate-secret` — operator commands against the configured store.
import { readFileSync } from 'node:fs';
import { ClientInputError, createClient, removeClient, rotateClientSecret } from '../domain/clients.ts';
import type { ClientRow } from '../store/store.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { cliActor, commandDeps, printJson } from './env.ts';
import { confirm, isoSeconds, printTable } from './output.ts';

function view(c: ClientRow) {
  return {
    client_id: c.id,
    client_name: c.name,
    redirect_uris: c.redirectUris,
    ...(Array.isArray(c.metadata.post_logout_redirect_uris) ? { post_logout_redirect_uris: c.metadata.post_logout_redirect_uris as string[] } : {}),
    grant_types: c.grantTypes,
    scopes: c.scopes,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    ...(typeof c.metadata.jwks_uri === 'string' ? { jwks_uri: c.metadata.jwks_uri } : {}),
    ...(c.metadata.jwks ? { jwks: c.metadata.jwks } : {}),
    ...(Array.isArray(c.metadata.exchange_audiences) ? { exchange_audiences: c.metadata.exchange_audiences as string[] } : {}),
    first_party: c.firstParty,
    ...(c.metadata.dpop_bound_access_tokens === true ? { dpop_bound_access_tokens: true } : {}),
    origin: c.origin,
    created_at: isoSeconds(c.createdAt),
    last_used_at: c.lastUsedAt ? isoSeconds(c.lastUsedAt) : null,
  };
}

export async function clientsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return add(rest);
    case 'list': {
      const { values } = parse(rest, 'clients list');
      return withDeps(async (deps) => {
        const list = await deps.store.clients.list();
        if (values.json) printJson(list.map(view));
        else
          printTable(
            ['CLIENT ID', 'TYPE', 'ORIGIN', 'LAST USED', 'NAME'],
            list.map((c) => [
              c.id,
              c.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential',
              c.origin,
              c.lastUsedAt ? isoSeconds(c.lastUsedAt) : 'never',
              c.name,
            ]),
          );
        return 0;
      });
    }
    case 'show': {
      const { positionals, values } = parse(rest, 'clients show');
      const id = positionals[0]!;
      return withDeps(async (deps) => {
        const c = await deps.store.clients.get(id);
        if (!c) throw new CommandError(`no client ${id}; see auth clients list`);
        const v = view(c);
        if (values.json) printJson(v);
        else {
          const rows: [string, string][] = [
            ['client_id', v.client_id],
            ['name', v.client_name],
            ['type', c.tokenEndpointAuthMethod === 'none' ? 'public' : `confidential (${c.tokenEndpointAuthMethod})`],
            ['first party', v.first_party ? 'yes (no consent page)' : 'no'],
            ['grant types', v.grant_types.join(', ')],
            ['scopes', v.scopes.join(' ') || '-'],
            ['redirect URIs', v.redirect_uris.join('\n') || '-'],
            ...(v.post_logout_redirect_uris ? [['post-logout URIs', v.post_logout_redirect_uris.join('\n')] as [string, string]] : []),
            ...(v.jwks_uri ? [['jwks_uri', v.jwks_uri] as [string, string]] : v.jwks ? [['jwks', 'registered (inline)'] as [string, string]] : []),
            ...(v.exchange_audiences ? [['exchange to', v.exchange_audiences.join('\n')] as [string, string]] : []),
            ['origin', v.origin],
            ['created', v.created_at],
            ['last used', v.last_used_at ?? 'never'],
          ];
          const w = Math.max(...rows.map(([k]) => k.length)) + 2;
          for (const [k, val] of rows) process.stdout.write(`${`${k}:`.padEnd(w + 1)}${val.split('\n').join(`\n${' '.repeat(w + 1)}`)}\n`);
        }
        return 0;
      });
    }
    case 'remove': {
      const { positionals, values } = parse(rest, 'clients remove');
      const id = positionals[0]!;
      return withDeps(async (deps) => {
        const c = await deps.store.clients.get(id);
        if (!c) throw new CommandError(`no client ${id}; see auth clients list`);
        if (!(await confirm(`Remove client ${id} (${c.name})? Its tokens stop working.`, values.yes))) {
          process.stderr.write('not removed\n');
          return 1;
        }
        if (!(await removeClient(deps, id, cliActor()))) throw new CommandError(`no client ${id}`);
        process.stdout.write(`removed ${id}\n`);
        return 0;
      });
    }
    case 'rotate-secret': {
      const { positionals, values } = parse(rest, 'clients rotate-secret');
      const id = positionals[0]!;
      return withDeps(async (deps) => {
        const secret = await rotateClientSecret(deps, id, cliActor());
        if (secret === null) throw new CommandError(`no client ${id}; see auth clients list`);
        if (values.json) printJson({ client_id: id, client_secret: secret });
        else process.stdout.write(`client_id:     ${id}\nclient_secret: ${secret}\n(the old secret no longer works; this one is shown only now)\n`);
        return 0;
      });
    }
    default:
      throw new UsageError(`unknown clients command: ${sub}`);
  }
}

async function add(args: string[]): Promise<number> {
  const { values } = parse(args, 'clients add');
  const authMethod = values['auth-method'];
  if (authMethod !== undefined && authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post' && authMethod !== 'private_key_jwt') {
    throw new UsageError('--auth-method is client_secret_basic, client_secret_post or private_key_jwt');
  }
  let jwks: unknown;
  if (values.jwks !== undefined) {
    try {
      jwks = JSON.parse(readFileSync(values.jwks, 'utf8'));
    } catch (e) {
      throw new CommandError(`--jwks ${values.jwks}: ${(e as Error).message}`);
    }
  }
  return withDeps(async (deps) => {
    const { client, secret } = await createClient(
      deps,
      {
        name: values.name!,
        redirectUris: values['redirect-uri'] ?? [],
        postLogoutRedirectUris: values['post-logout-redirect-uri'],
        isPublic: !!values.public,
        grantTypes: values['grant-type'],
        scopes: values.scope?.flatMap((s) => s.split(/\s+/)).filter(Boolean),
        firstParty: !!values['first-party'],
        authMethod,
        jwks,
        jwksUri: values['jwks-uri'],
        exchangeAudiences: values['exchange-audience'],
        requireDpop: !!values['require-dpop'],
      },
      cliActor(),
    );
    if (values.json) printJson({ client_id: client.id, client_secret: secret });
    else {
      process.stdout.write(`client_id:     ${client.id}\n`);
      if (secret) process.stdout.write(`client_secret: ${secret}\n(shown only now; it is stored hashed)\n`);
    }
    return 0;
  });
}

async function withDeps(fn: (deps: Awaited<ReturnType<typeof commandDeps>>['deps']) => Promise<number>): Promise<number> {
  const { deps, close } = await commandDeps();
  try {
    return await fn(deps);
  } catch (e) {
    if (e instanceof ClientInputError) throw new CommandError(e.message);
    throw e;
  } finally {
    await close();
  }
}
