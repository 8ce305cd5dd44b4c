#!/usr/bin/env bun
// The `auth` executable: argv → command. Commands are imported lazily (literal imports, which work inside
// the compiled binary) so `auth --version` does not load the server.
import { ConfigError } from './config.ts';
import { CommandError, UsageError } from './cli/args.ts';
import { versionLine } from './version.ts';

export const USAGE = `auth — OAuth 2.1 authorization server for CLIs, MCP clients and devices

Usage: auth <command> [flags]

Server:
  server                         serve (configuration from the environment and ./.env)
  migrate                        apply database migrations and exit
  healthcheck [--url U]          GET /health; exit 0 on 200, else 1

Operators (against the configured database):
  clients add --name N --redirect-uri U [--redirect-uri U2]… [--public] [--grant-type G]…
              [--scope S]… [--first-party] [--post-logout-redirect-uri U]… [--json]
  clients list [--json] | show ID | remove ID | rotate-secret ID
  users add NAME [--email E] [--admin]   (password from stdin, or prompted on a terminal)
  users list [--json] | remove NAME | passwd NAME
  users invite NAME [--email E] [--ttl 24h] | reset-password NAME [--ttl 1h]   print a one-time link
  keys list [--json] | rotate
  audit [--since 24h] [--user U] [--limit N] [--json]   the audit log, newest first
  export [--output FILE]         clients, users, identities, keys, live refresh tokens as JSON lines
  import [--input FILE]          load an export into the configured database (e.g. SQLite → PostgreSQL)

Client (any OAuth 2.1 / MCP server):
  login TARGET [--name N] [--device] [--no-browser] [--port P] [--scope S]… [--client-id ID] [--resource R]
                                 sign in; TARGET is an issuer or a protected resource (MCP server) URL
  token [NAME] [--json]          print a valid access token, refreshing it when needed
  logout [NAME]                  revoke and forget;   status [--json]   list credentials

Resource server:
  proxy --upstream URL [--resource URL] [--scope S]… [--port 8081] [--host H] [--issuer URL] [--name N]
                                 an OAuth gate (RFC 9728 metadata, JWT checks) in front of an MCP/HTTP server

Other:
  version, --version, -v         print the version
  help, --help, -h               print this help

Exit codes: 0 success, 1 failure, 2 usage error.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  server: async () => (await import('./cli/server.ts')).serverCommand,
  migrate: async () => (await import('./cli/migrate.ts')).migrateCommand,
  healthcheck: async () => (await import('./cli/healthcheck.ts')).healthcheckCommand,
  clients: async () => (await import('./cli/clients.ts')).clientsCommand,
  users: async () => (await import('./cli/users.ts')).usersCommand,
  keys: async () => (await import('./cli/keys.ts')).keysCommand,
  proxy: async () => (await import('./cli/proxy.ts')).proxyCommand,
  audit: async () => (await import('./cli/audit.ts')).auditCommand,
  export: async () => (await import('./cli/export.ts')).exportCommand,
  import: async () => (await import('./cli/export.ts')).importCommand,
  login: async () => (await import('./cli/login.ts')).loginCommand,
  token: async () => (await import('./cli/token.ts')).tokenCommand,
  logout: async () => (await import('./cli/logout.ts')).logoutCommand,
  status: async () => (await import('./cli/logout.ts')).statusCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    if (rest.length) return usage(`unexpected argument: ${rest[0]}`);
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!load) return usage(first.startsWith('-') ? `unknown flag: ${first}` : `unknown command: ${first}`);
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    if (e instanceof ConfigError) {
      process.stderr.write(`auth: configuration error: ${e.message}\n`);
      return 1;
    }
    if (e instanceof CommandError) {
      process.stderr.write(`auth: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`auth: ${(e as Error).name === 'Error' ? '' : `${(e as Error).name}: `}${(e as Error).message}\n`);
    return 1;
  }
}

function usage(message: string): number {
  process.stderr.write(`auth: ${message}\n\n${USAGE}`);
  return 2;
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
