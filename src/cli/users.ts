// `auth users add|list|remove|passwd` — local accounts (argon2id). The password comes from stdin when it
// is not a terminal (scripts), else it is prompted twice without echo.
import { spawnSync } from 'node:child_process';
import { hashPassword, passwordProblem } from '../domain/passwords.ts';
import { createUser, EMAIL_RE, passwordLink, removeUser, USERNAME_RE, UserInputError } from '../domain/users.ts';
import { parseDuration } from '../config.ts';
import { CommandError, parse, UsageError, type Values } from './args.ts';
import { cliActor, commandDeps, printJson } from './env.ts';
import { confirm, isoSeconds, printTable, readLine } from './output.ts';

export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, 'users add');
      const name = positionals[0]!;
      if (!USERNAME_RE.test(name)) throw new CommandError('a user name is 1–64 characters: letters, digits, . _ @ -');
      if (values.email !== undefined && !EMAIL_RE.test(values.email)) throw new CommandError(`invalid email ${values.email}`);
      const password = await readPassword();
      const { deps, close } = await commandDeps();
      try {
        await createUser(deps, { username: name, email: values.email, password, isAdmin: !!values.admin }, cliActor());
        process.stdout.write(`added user ${name}\n`);
        return 0;
      } catch (e) {
        if (e instanceof UserInputError) throw new CommandError(e.message);
        throw e;
      } finally {
        await close();
      }
    }
    case 'list': {
      const { values } = parse(rest, 'users list');
      const { deps, close } = await commandDeps();
      try {
        const users = await deps.store.users.list();
        const rows = users.map((u) => ({
          username: u.username,
          email: u.email,
          admin: u.isAdmin,
          local_password: u.passwordHash !== null,
          disabled: u.disabledAt != null,
          created_at: isoSeconds(u.createdAt),
        }));
        if (values.json) printJson(rows);
        else
          printTable(
            ['NAME', 'EMAIL', 'ROLE', 'SIGN-IN', 'CREATED'],
            rows.map((r) => [
              r.username,
              r.email,
              r.admin ? 'admin' : 'user',
              r.disabled ? 'disabled' : r.local_password ? 'password' : 'upstream or invited',
              r.created_at,
            ]),
          );
        return 0;
      } finally {
        await close();
      }
    }
    case 'remove': {
      const { positionals, values } = parse(rest, 'users remove');
      const name = positionals[0]!;
      const { deps, close } = await commandDeps();
      try {
        const user = await deps.store.users.getByUsername(name);
        if (!user) throw new CommandError(`no user ${name}; see auth users list`);
        if (!(await confirm(`Remove user ${name}? Their sessions, consents and tokens go with them.`, values.yes))) {
          process.stderr.write('not removed\n');
          return 1;
        }
        if (!(await removeUser(deps, user, cliActor()))) throw new CommandError(`no user ${name}`);
        process.stdout.write(`removed user ${positionals[0]} (sessions, consents and tokens with it)\n`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'passwd': {
      const { positionals } = parse(rest, 'users passwd');
      const { deps, close } = await commandDeps();
      try {
        const user = await deps.store.users.getByUsername(positionals[0]!);
        if (!user) throw new CommandError(`no user ${positionals[0]}; see auth users list`);
        await deps.store.users.setPasswordHash(user.id, await hashPassword(await readPassword()));
        deps.audit.record('password.set', { userId: user.id, details: { via: 'auth users passwd', actor: cliActor() } });
        process.stdout.write(`password of ${user.username} changed\n`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'invite':
    case 'reset-password': {
      const invite = sub === 'invite';
      // reset-password's flags are invite's without --email.
      const { values, positionals } = parse(rest, invite ? 'users invite' : 'users reset-password') as {
        values: Values<'users invite'>;
        positionals: string[];
      };
      const name = positionals[0]!;
      const ttl = parseDuration(values.ttl!);
      if (ttl === null || ttl < 60 || ttl > 30 * 86400) throw new UsageError('--ttl is a duration from 1m to 30d, such as 30m, 24h or 7d');
      const email = values.email;
      if (email !== undefined && !EMAIL_RE.test(email)) throw new CommandError(`invalid email ${email}`);
      const { deps, close, sourceOf } = await commandDeps();
      try {
        let user = await deps.store.users.getByUsername(name);
        if (invite) {
          if (user) throw new CommandError(`user ${name} exists; use auth users reset-password ${name}`);
          user = await createUser(deps, { username: name, email }, cliActor());
        } else if (!user) throw new CommandError(`no user ${name}; see auth users list`);
        // The token travels in the fragment: browsers never send it to the server or in Referer.
        const { link, expiresAt } = await passwordLink(deps, user, ttl, cliActor());
        const expires = isoSeconds(expiresAt);
        // The link is only as right as BASE_URL: say where it came from, so a command run without the
        // service's settings (systemd's EnvironmentFile) is noticed before the link is sent.
        const base = sourceOf('BASE_URL');
        const note =
          base === 'the default'
            ? `warning: BASE_URL is not set here, so the link starts with ${deps.config.baseUrl}; run this with the server's settings (README: "Operator commands beside a service")`
            : `BASE_URL ${deps.config.baseUrl} from ${base}`;
        if (values.json) printJson({ username: user.username, link, expires_at: expires, base_url: deps.config.baseUrl, base_url_from: base });
        else
          process.stdout.write(
            `${link}\n(works once, until ${expires}; ${invite ? `lets ${user.username} choose a password` : `sets a new password for ${user.username}`})\n`,
          );
        process.stderr.write(`${note}\n`);
        return 0;
      } catch (e) {
        if (e instanceof UserInputError) throw new CommandError(e.message);
        throw e;
      } finally {
        await close();
      }
    }
    default:
      throw new UsageError(`unknown users command: ${sub}`);
  }
}

async function readPassword(): Promise<string> {
  let password: string;
  if (!process.stdin.isTTY) {
    password = await readLine();
  } else {
    const stty = (arg: string) => spawnSync('stty', [arg], { stdio: 'inherit' });
    try {
      stty('-echo');
      process.stderr.write('Password: ');
      password = await readLine();
      process.stderr.write('\nRepeat: ');
      const again = await readLine();
      process.stderr.write('\n');
      if (again !== password) throw new CommandError('the passwords differ');
    } finally {
      stty('echo');
    }
  }
  const problem = passwordProblem(password);
  if (problem) throw new CommandError(problem);
  return password;
}
