#!/usr/bin/env bun
// The `auth` executable: argv → command. Commands are imported lazily (literal imports, which work inside
// the compiled binary) so `auth --version` does not load the server.
import { ConfigError } from './config.ts';
import { CommandError, UsageError, wantsHelp } from './cli/args.ts';
import { closest } from './closest.ts';
import { COMMANDS, commandHelp, globalUsage, groupHelp, groupOf, specOf } from './cli/commands.ts';
import { versionLine } from './version.ts';

type Command = (args: string[]) => Promise<number>;

const HANDLERS: Record<string, () => Promise<Command>> = {
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
  curl: async () => (await import('./cli/curl.ts')).curlCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(globalUsage());
    return 2;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    if (rest.length) return usage(`unexpected argument: ${rest[0]}`);
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h') {
    process.stdout.write(globalUsage());
    return 0;
  }
  if (first === 'help') return help(rest);
  const resolved = resolve(first, rest[0]);
  if (typeof resolved === 'number') return resolved;
  const name = resolved;
  // `auth curl` passes its arguments to curl; only a --help right after the command is ours.
  if (name === 'curl' ? rest[0] === '--help' || rest[0] === '-h' : wantsHelp(name === first ? rest : rest.slice(1))) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  const load = HANDLERS[first]!;
  try {
    return await (await load())(rest);
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message, name);
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

/** The table name of `auth FIRST [SUB]` (`clients add`, `login`), or the exit code after a usage message. */
function resolve(first: string, sub: string | undefined): string | number {
  const subs = groupOf(first);
  if (subs.length) {
    if (sub === '--help' || sub === '-h') {
      process.stdout.write(groupHelp(first));
      return 0;
    }
    if (sub === undefined) {
      process.stderr.write(groupHelp(first));
      return 2;
    }
    if (!subs.includes(sub)) {
      const hint = closest(sub, subs);
      process.stderr.write(
        `auth: unknown ${first} command: ${sub}${hint ? `; did you mean '${first} ${hint}'?` : ''}\nRun 'auth ${first} --help' for its commands.\n`,
      );
      return 2;
    }
    return `${first} ${sub}`;
  }
  if (specOf(first) && Object.hasOwn(HANDLERS, first)) return first;
  const names = [...new Set(Object.keys(COMMANDS).map((c) => c.split(' ')[0]!)), 'help', 'version'];
  const hint = first.startsWith('-') ? undefined : closest(first, names);
  process.stderr.write(
    `auth: ${first.startsWith('-') ? 'unknown flag' : 'unknown command'}: ${first}${hint ? `; did you mean '${hint}'?` : ''}\nRun 'auth --help' for the list of commands.\n`,
  );
  return 2;
}

/** `auth help`, `auth help clients`, `auth help clients add`. */
function help(args: string[]): number {
  if (!args.length) {
    process.stdout.write(globalUsage());
    return 0;
  }
  const name = args.join(' ');
  if (groupOf(name).length) {
    process.stdout.write(groupHelp(name));
    return 0;
  }
  if (specOf(name)) {
    process.stdout.write(commandHelp(name));
    return 0;
  }
  const hint = closest(name, Object.keys(COMMANDS));
  process.stderr.write(`auth: no command '${name}'${hint ? `; did you mean '${hint}'?` : ''}\nRun 'auth --help' for the list of commands.\n`);
  return 2;
}

function usage(message: string, name?: string): number {
  process.stderr.write(`auth: ${message}\nRun 'auth ${name ? `${name} ` : ''}--help' for usage.\n`);
  return 2;
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
