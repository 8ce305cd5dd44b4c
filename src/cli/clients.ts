// `auth clients add|list|show|remove|rotate-secret` — operator commands against the configured store.
import { ClientInputError, createClient, removeClient, rotateClientSecret } from '../domain/clients.ts';
import type { ClientRow } from '../store/store.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { commandDeps, printJson } from './env.ts';

function view(c: ClientRow) {
  return {
    client_id: c.id,
    client_name: c.name,
    redirect_uris: c.redirectUris,
    ...(Array.isArray(c.metadata.post_logout_redirect_uris) ? { post_logout_redirect_uris: c.metadata.post_logout_redirect_uris } : {}),
    grant_types: c.grantTypes,
    scopes: c.scopes,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    first_party: c.firstParty,
    origin: c.origin,
    created_at: new Date(c.createdAt * 1000).toISOString(),
    last_used_at: c.lastUsedAt ? new Date(c.lastUsedAt * 1000).toISOString() : null,
  };
}

export async function clientsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return add(rest);
    case 'list': {
      const { values } = parse(rest, { json: { type: 'boolean' } });
      return withDeps(async (deps) => {
        const list = await deps.store.clients.list();
        if (values.json) printJson(list.map(view));
        else
          for (const c of list) process.stdout.write(`${c.id}\t${c.tokenEndpointAuthMethod === 'none' ? 'public' : 'confidential'}\t${c.origin}\t${c.name}\n`);
        return 0;
      });
    }
    case 'show': {
      const { positionals } = parse(rest, {}, 1);
      const id = required(positionals[0], 'clients show ID');
      return withDeps(async (deps) => {
        const c = await deps.store.clients.get(id);
        if (!c) throw new CommandError(`no client ${id}`);
        printJson(view(c));
        return 0;
      });
    }
    case 'remove': {
      const { positionals } = parse(rest, {}, 1);
      const id = required(positionals[0], 'clients remove ID');
      return withDeps(async (deps) => {
        if (!(await removeClient(deps, id))) throw new CommandError(`no client ${id}`);
        process.stdout.write(`removed ${id}\n`);
        return 0;
      });
    }
    case 'rotate-secret': {
      const { positionals, values } = parse(rest, { json: { type: 'boolean' } }, 1);
      const id = required(positionals[0], 'clients rotate-secret ID');
      return withDeps(async (deps) => {
        const secret = await rotateClientSecret(deps, id);
        if (secret === null) throw new CommandError(`no client ${id}`);
        if (values.json) printJson({ client_id: id, client_secret: secret });
        else process.stdout.write(`client_id:     ${id}\nclient_secret: ${secret}\n(the old secret no longer works; this one is shown only now)\n`);
        return 0;
      });
    }
    default:
      throw new UsageError(sub ? `unknown clients command: ${sub}` : 'clients needs a command: add, list, show, remove, rotate-secret');
  }
}

async function add(args: string[]): Promise<number> {
  const { values } = parse(args, {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    public: { type: 'boolean' },
    'grant-type': { type: 'string', multiple: true },
    scope: { type: 'string', multiple: true },
    'first-party': { type: 'boolean' },
    'auth-method': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.name) throw new UsageError('clients add needs --name');
  const authMethod = values['auth-method'];
  if (authMethod !== undefined && authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') {
    throw new UsageError('--auth-method is client_secret_basic or client_secret_post');
  }
  return withDeps(async (deps) => {
    const { client, secret } = await createClient(deps, {
      name: values.name!,
      redirectUris: values['redirect-uri'] ?? [],
      postLogoutRedirectUris: values['post-logout-redirect-uri'],
      isPublic: !!values.public,
      grantTypes: values['grant-type'],
      scopes: values.scope?.flatMap((s) => s.split(/\s+/)).filter(Boolean),
      firstParty: !!values['first-party'],
      authMethod,
    });
    if (values.json) printJson({ client_id: client.id, client_secret: secret });
    else {
      process.stdout.write(`client_id:     ${client.id}\n`);
      if (secret) process.stdout.write(`client_secret: ${secret}\n(shown only now; it is stored hashed)\n`);
    }
    return 0;
  });
}

function required(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`usage: auth ${what}`);
  return v;
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
