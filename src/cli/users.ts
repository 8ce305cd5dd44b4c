// `auth users add|list|remove|passwd` — local accounts (argon2id). The password comes from stdin when it
// is not a terminal (scripts), else it is prompted twice without echo.
import { spawnSync } from 'node:child_process';
import { hashPassword, passwordProblem } from '../domain/passwords.ts';
import { createUser, EMAIL_RE, passwordLink, removeUser, USERNAME_RE, UserInputError } from '../domain/users.ts';
import { parseDuration } from '../config.ts';
import { CommandError, parse, UsageError } from './args.ts';
import { commandDeps, printJson } from './env.ts';

export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, { email: { type: 'string' }, admin: { type: 'boolean' } }, 1);
      const name = positionals[0];
      if (!name) throw new UsageError('usage: auth users add NAME [--email E] [--admin]');
      if (!USERNAME_RE.test(name)) throw new CommandError('a user name is 1–64 characters: letters, digits, . _ @ -');
      if (values.email !== undefined && !EMAIL_RE.test(values.email)) throw new CommandError(`invalid email ${values.email}`);
      const password = await readPassword();
      const { deps, close } = await commandDeps();
      try {
        await createUser(deps, { username: name, email: values.email, password, isAdmin: !!values.admin });
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
      const { values } = parse(rest, { json: { type: 'boolean' } });
      const { deps, close } = await commandDeps();
      try {
        const users = await deps.store.users.list();
        const rows = users.map((u) => ({
          username: u.username,
          email: u.email,
          admin: u.isAdmin,
          local_password: u.passwordHash !== null,
          created_at: new Date(u.createdAt * 1000).toISOString(),
        }));
        if (values.json) printJson(rows);
        else for (const r of rows) process.stdout.write(`${r.username}\t${r.email ?? '-'}\t${r.admin ? 'admin' : 'user'}\n`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'remove': {
      const { positionals } = parse(rest, {}, 1);
      if (!positionals[0]) throw new UsageError('usage: auth users remove NAME');
      const { deps, close } = await commandDeps();
      try {
        const user = await deps.store.users.getByUsername(positionals[0]);
        if (!user || !(await removeUser(deps, user))) throw new CommandError(`no user ${positionals[0]}`);
        process.stdout.write(`removed user ${positionals[0]} (sessions, consents and tokens with it)\n`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'passwd': {
      const { positionals } = parse(rest, {}, 1);
      if (!positionals[0]) throw new UsageError('usage: auth users passwd NAME');
      const { deps, close } = await commandDeps();
      try {
        const user = await deps.store.users.getByUsername(positionals[0]);
        if (!user) throw new CommandError(`no user ${positionals[0]}`);
        await deps.store.users.setPasswordHash(user.id, await hashPassword(await readPassword()));
        process.stdout.write(`password of ${user.username} changed\n`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'invite':
    case 'reset-password': {
      const invite = sub === 'invite';
      const { values, positionals } = parse(
        rest,
        invite ? { email: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' } } : { ttl: { type: 'string' }, json: { type: 'boolean' } },
        1,
      );
      const name = positionals[0];
      if (!name) throw new UsageError(`usage: auth users ${sub} NAME${invite ? ' [--email E]' : ''} [--ttl ${invite ? '24h' : '1h'}]`);
      const ttl = parseDuration((values.ttl as string | undefined) ?? (invite ? '24h' : '1h'));
      if (ttl === null) throw new UsageError('--ttl is a duration such as 30m, 24h or 7d');
      const email = (values as { email?: string }).email;
      if (email !== undefined && !EMAIL_RE.test(email)) throw new CommandError(`invalid email ${email}`);
      const { deps, close } = await commandDeps();
      try {
        let user = await deps.store.users.getByUsername(name);
        if (invite) {
          if (user) throw new CommandError(`user ${name} exists; use auth users reset-password ${name}`);
          user = await createUser(deps, { username: name, email });
        } else if (!user) throw new CommandError(`no user ${name}`);
        // The token travels in the fragment: browsers never send it to the server or in Referer.
        const { link, expiresAt } = await passwordLink(deps, user, ttl);
        const expires = new Date(expiresAt * 1000).toISOString();
        if ((values as { json?: boolean }).json) printJson({ username: user.username, link, expires_at: expires });
        else
          process.stdout.write(
            `${link}\n(works once, until ${expires}; ${invite ? `lets ${user.username} choose a password` : `sets a new password for ${user.username}`})\n`,
          );
        return 0;
      } catch (e) {
        if (e instanceof UserInputError) throw new CommandError(e.message);
        throw e;
      } finally {
        await close();
      }
    }
    default:
      throw new UsageError(sub ? `unknown users command: ${sub}` : 'users needs a command: add, list, remove, passwd, invite, reset-password');
  }
}

async function readLine(): Promise<string> {
  const reader = Bun.stdin.stream().getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!text.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text.split(/\r?\n/)[0] ?? '';
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
