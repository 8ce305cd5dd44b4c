// The commands as a person meets them, on the compiled binary: help for every command, did-you-mean lines,
// the generated lists in README and docs, operator output on a terminal and in a pipe, confirmations,
// audit entries of user commands, configuration warnings, file modes, the first-run line.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, type CommandSpec, commandList, globalUsage } from '../src/cli/commands.ts';
import { docsBlock, readmeBlock } from '../scripts/commands-doc.ts';
import { loadConfig, unknownSettings } from '../src/config.ts';
import { ensureBinary, onPty, ROOT, runAuth, spawnServer } from './helpers/cli.ts';
import { tempDir } from './helpers/server.ts';

const dir = tempDir('auth-cmds-');
const env = { DATA_DIR: dir, BASE_URL: 'https://auth.example.com' };
beforeAll(ensureBinary);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('help', () => {
  test('every command has --help, -h and `auth help CMD`: exit 0, its flags and an example', async () => {
    for (const [name, spec] of Object.entries(COMMANDS) as [string, CommandSpec][]) {
      const words = name.split(' ');
      for (const args of [
        [...words, '--help'],
        [...words, '-h'],
        ['help', ...words],
      ]) {
        const r = await runAuth(args);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout).toStartWith(`auth ${name} — ${spec.summary}`);
        for (const flag of Object.keys(spec.flags)) expect(r.stdout).toContain(`--${flag}`);
        expect(r.stdout).toMatch(/Examples?:\n {2}\S/);
      }
    }
  });

  test('--help wins over everything else on the line, even a missing argument or a bad flag', async () => {
    const r = await runAuth(['clients', 'show', '--bogus', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: auth clients show ID');
  });

  test('a group prints its commands: `auth clients --help` exit 0, bare `auth users` exit 2 on stderr', async () => {
    const help = await runAuth(['clients', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['add', 'list', 'show', 'remove', 'rotate-secret']) expect(help.stdout).toContain(`  ${sub} `);
    const bare = await runAuth(['users']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: auth users <command>');
  });

  test('an unknown flag: one line naming it with "did you mean", then the pointer to --help (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['clients', 'add', '--nme', 'x'], "auth: unknown flag --nme; did you mean --name?\nRun 'auth clients add --help' for usage.\n"],
      [['login', 'http://localhost:8080', '--devcie'], "auth: unknown flag --devcie; did you mean --device?\nRun 'auth login --help' for usage.\n"],
      [['audit', '--snce', '1h'], "auth: unknown flag --snce; did you mean --since?\nRun 'auth audit --help' for usage.\n"],
      [['status', '--frobnicate'], "auth: unknown flag --frobnicate\nRun 'auth status --help' for usage.\n"],
      [['lgoin'], "auth: unknown command: lgoin; did you mean 'login'?\nRun 'auth --help' for the list of commands.\n"],
      [['users', 'invit', 'x'], "auth: unknown users command: invit; did you mean 'users invite'?\nRun 'auth users --help' for its commands.\n"],
      [['clients', 'add', '--name'], "auth: --name needs a value (NAME)\nRun 'auth clients add --help' for usage.\n"],
      [['clients', 'list', '--json=yes'], "auth: --json takes no value\nRun 'auth clients list --help' for usage.\n"],
      [['users', 'remove'], "auth: missing NAME\nRun 'auth users remove --help' for usage.\n"],
      [['proxy'], "auth: missing --upstream URL\nRun 'auth proxy --help' for usage.\n"],
    ];
    for (const [args, stderr] of cases) {
      const r = await runAuth(args, { env });
      expect({ args, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ args, code: 2, stderr, stdout: '' });
    }
  });

  test('the global usage, README and docs/commands.md list the same commands and flags, from one table', () => {
    expect(globalUsage()).toContain(commandList());
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const docs = readFileSync(join(ROOT, 'docs/commands.md'), 'utf8');
    const between = (t: string) => /<!-- commands:start -->\n([\s\S]*)\n<!-- commands:end -->/.exec(t)?.[1];
    // Regenerate with: bun scripts/commands-doc.ts --write
    expect(between(readme)).toBe(readmeBlock());
    expect(between(docs)).toBe(docsBlock());
    for (const [name, spec] of Object.entries(COMMANDS) as [string, CommandSpec][]) {
      for (const flag of Object.keys(spec.flags)) {
        const line = commandList()
          .split(/\n(?= {2}\S)/)
          .find((block) => block.trimStart().startsWith(`${name} `) || block.trim() === name || block.trimStart().startsWith(`${name}\n`));
        expect(line ?? '').toContain(`--${flag}`);
      }
    }
  });
});

describe('operator output', () => {
  test('piped: tab-separated rows without a header; --json for list and show; on a terminal: aligned with a header', async () => {
    const tsv = await runAuth(['clients', 'list'], { env });
    expect(tsv.code).toBe(0);
    const row = tsv.stdout.split('\n').find((l) => l.startsWith('auth-cli\t'));
    expect(row!.split('\t')).toEqual(['auth-cli', 'public', 'seed', 'never', expect.any(String)]);
    expect(tsv.stdout).not.toContain('CLIENT ID');
    const show = JSON.parse((await runAuth(['clients', 'show', 'auth-cli', '--json'], { env })).stdout);
    expect(show).toMatchObject({ client_id: 'auth-cli', token_endpoint_auth_method: 'none' });
    const text = await runAuth(['clients', 'show', 'auth-cli'], { env });
    expect(text.stdout).toMatch(/^client_id: +auth-cli$/m);
    expect(text.stdout).toMatch(/^type: +public$/m);

    const pty = onPty(['clients', 'list'], env);
    expect((await pty.done()).code).toBe(0);
    const lines = pty.output().replace(/\r/g, '').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CLIENT ID\s+TYPE\s+ORIGIN\s+LAST USED\s+NAME$/);
    const col = lines[0]!.indexOf('TYPE');
    expect(lines.find((l) => l.startsWith('auth-cli'))!.indexOf('public')).toBe(col);
  });

  test('user commands are audited; audit shows names beside ids and times to the second', async () => {
    expect((await runAuth(['users', 'add', 'rita', '--email', 'rita@example.com'], { env, stdin: 'rita password 1\n' })).code).toBe(0);
    expect((await runAuth(['users', 'passwd', 'rita'], { env, stdin: 'rita password 2\n' })).code).toBe(0);
    expect((await runAuth(['users', 'reset-password', 'rita'], { env })).code).toBe(0);
    expect((await runAuth(['users', 'invite', 'sol'], { env })).code).toBe(0);
    expect((await runAuth(['users', 'remove', 'sol'], { env })).code).toBe(0);
    const rows = JSON.parse((await runAuth(['audit', '--json'], { env })).stdout) as {
      event: string;
      time: string;
      username: string | null;
      user_id: string;
      details: Record<string, unknown>;
    }[];
    // Removed users have no name to look up: their ids come from the user.created entries.
    const idOf = (who: string) => rows.find((r) => r.event === 'user.created' && r.details.username === who)!.user_id;
    const of = (event: string, who: string) => rows.find((r) => r.event === event && r.user_id === idOf(who));
    for (const [event, who] of [
      ['user.created', 'rita'],
      ['password.set', 'rita'],
      ['user.link_created', 'rita'],
      ['user.created', 'sol'],
      ['user.link_created', 'sol'],
      ['user.removed', 'sol'],
    ] as const) {
      const r = of(event, who);
      expect(r, `${event} ${who}`).toBeDefined();
      expect(String(r!.details.actor)).toStartWith('cli:');
      expect(r!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const text = (await runAuth(['audit', '--user', 'rita'], { env })).stdout;
    expect(text).toMatch(new RegExp(`\\tpassword\\.set\\trita \\(${of('password.set', 'rita')!.user_id}\\)\\t`));
  });

  test('remove asks on a terminal (no: nothing removed, exit 1); --yes and pipes do not ask', async () => {
    await runAuth(['users', 'add', 'tom'], { env, stdin: 'tom password 1\n' });
    const no = onPty(['users', 'remove', 'tom'], env);
    await no.waitFor(/Remove user tom\? .*\[y\/N\]/);
    no.type('n\n');
    expect((await no.done()).code).toBe(1);
    expect(JSON.parse((await runAuth(['users', 'list', '--json'], { env })).stdout).map((u: { username: string }) => u.username)).toContain('tom');
    const yes = onPty(['users', 'remove', 'tom'], env);
    await yes.waitFor(/\[y\/N\]/);
    yes.type('y\n');
    expect((await yes.done()).code).toBe(0);
    const client = JSON.parse((await runAuth(['clients', 'add', '--name', 'Gone', '--redirect-uri', 'https://g.example/cb', '--json'], { env })).stdout);
    const skip = onPty(['clients', 'remove', client.client_id, '--yes'], env);
    expect((await skip.done()).code).toBe(0);
    expect(skip.output()).not.toContain('[y/N]');
    expect((await runAuth(['clients', 'show', client.client_id], { env })).code).toBe(1);
  });

  test('invite and reset-password links use BASE_URL and say where it came from', async () => {
    const fromEnv = await runAuth(['users', 'invite', 'uma'], { env });
    expect(fromEnv.stdout).toStartWith('https://auth.example.com/set-password/');
    expect(fromEnv.stderr).toContain('BASE_URL https://auth.example.com from the environment');
    const cwd = tempDir('auth-dotenv-');
    writeFileSync(join(cwd, '.env'), `DATA_DIR=${dir}\nBASE_URL=https://login.example.org\n`);
    const fromFile = await runAuth(['users', 'reset-password', 'uma'], { cwd });
    expect(fromFile.stdout).toStartWith('https://login.example.org/set-password/');
    expect(fromFile.stderr).toContain(`BASE_URL https://login.example.org from ${cwd}/.env`);
    const unset = await runAuth(['users', 'reset-password', 'uma', '--json'], { env: { DATA_DIR: dir } });
    expect(JSON.parse(unset.stdout)).toMatchObject({ base_url: 'http://localhost:8080', base_url_from: 'the default' });
    expect(unset.stderr).toContain('warning: BASE_URL is not set here');
  });
});

describe('configuration and files', () => {
  test('a setting that looks like ours but is unknown is warned about, naming the closest one', async () => {
    const cwd = tempDir('auth-typo-');
    writeFileSync(join(cwd, '.env'), 'DEVICE_CODE_TLL=10m\n');
    const r = await runAuth(['migrate'], { cwd, env: { DATA_DIR: dir, ACCES_TOKEN_TTL: '5m', BASEURL: 'https://x.example', HOME_DIR: '/x' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('auth: warning: ACCES_TOKEN_TTL is not a setting; did you mean ACCESS_TOKEN_TTL?');
    expect(r.stderr).toContain('auth: warning: BASEURL is not a setting; did you mean BASE_URL?');
    expect(r.stderr).toContain(`auth: warning: DEVICE_CODE_TLL (in ${cwd}/.env) is not a setting; did you mean DEVICE_CODE_TTL?`);
    expect(r.stderr).not.toContain('HOME_DIR');
    expect(r.stderr).not.toContain('PATH');
  });

  test('a duration out of bounds says the real bounds, with an example that is allowed', async () => {
    const r = await runAuth(['migrate'], { env: { DATA_DIR: dir, DEVICE_CODE_TTL: '30s' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/invalid DEVICE_CODE_TTL="30s": expected a duration from 1m to \d+[mh], such as \d+[mh] \(units: s, m, h, d\)/);
  });

  test('under umask 022 the database and its WAL are 0600 in a 0700 directory; an export is 0600', async () => {
    const root = tempDir('auth-umask-');
    const data = join(root, 'data');
    const srv = await spawnServer({
      cwd: root,
      env: { DATA_DIR: data, PORT: '0', HOST: '127.0.0.1' },
      bin: '/bin/sh',
      args: ['-c', `umask 022; exec '${join(ROOT, 'dist/auth')}' server`],
    });
    try {
      await srv.waitFor((l) => l.includes('"listening"'));
      await srv.waitFor((l) => l.includes('next: open'));
      expect(statSync(data).mode & 0o777).toBe(0o700);
      for (const f of ['auth.db', 'auth.db-wal', 'auth.db-shm', 'initial-admin-password']) expect(statSync(join(data, f)).mode & 0o777).toBe(0o600);
      const exported = join(root, 'backup.jsonl');
      const quote = `'${join(ROOT, 'dist/auth')}'`;
      const p = Bun.spawn(['/bin/sh', '-c', `umask 022; DATA_DIR='${data}' exec ${quote} export --output '${exported}'`], { stdout: 'pipe', stderr: 'pipe' });
      expect(await p.exited).toBe(0);
      expect(statSync(exported).mode & 0o777).toBe(0o600);
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.proc.exited;
    }
    // A database others can read is left as it is, with a warning.
    chmodSync(join(data, 'auth.db'), 0o644);
    const r = await runAuth(['users', 'list'], { env: { DATA_DIR: data } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the database file is readable by other users');
  });

  test('the first start says what to do next, after "listening": the sign-in page, the password file, auth login', async () => {
    const root = tempDir('auth-first-');
    const srv = await spawnServer({ cwd: root, env: { DATA_DIR: join(root, 'data'), PORT: '0', HOST: '127.0.0.1', BASE_URL: 'http://localhost:9999' } });
    try {
      const line = JSON.parse(await srv.waitFor((l) => l.includes('next: open'))) as { msg?: string; message?: string };
      const text = line.msg ?? line.message ?? '';
      expect(text).toBe(
        `next: open http://localhost:9999/admin and sign in as admin with the password in ${join(root, 'data/initial-admin-password')}; from a terminal: auth login http://localhost:9999`,
      );
      const order = srv.lines.map((l) => (l.includes('"listening"') ? 'listening' : l.includes('next: open') ? 'next' : null)).filter(Boolean);
      expect(order).toEqual(['listening', 'next']);
    } finally {
      srv.proc.kill('SIGTERM');
      await srv.proc.exited;
    }
  });
});

describe('packaging', () => {
  test('docker-compose.yml: auth built from the Dockerfile, waiting for a healthy PostgreSQL, with settings that load', () => {
    const compose = Bun.YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { build?: string; environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; ports?: string[] }>;
    };
    const { auth, db } = compose.services;
    expect(auth!.build).toBe('.');
    expect(auth!.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(auth!.ports).toEqual(['8080:8080']);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain('EXPOSE 8080');
    // Compose's ${VAR:-default}, as `docker compose up` with nothing set resolves it.
    const resolved = Object.fromEntries(Object.entries(auth!.environment!).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
    const config = loadConfig({ ...resolved, DATA_DIR: '/data' });
    expect(config.databaseUrl).toBe(`postgres://auth:${db!.environment!.POSTGRES_PASSWORD!.replace(/\$\{\w+:-([^}]*)\}/, '$1')}@db:5432/auth`);
    expect(config.baseUrl).toBe('http://localhost:8080');
    expect(unknownSettings(resolved)).toEqual([]);
  });
});
