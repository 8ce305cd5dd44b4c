// Operator commands on the compiled binary against a real SQLite file: clients and users.
import { afterAll, describe, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { runAuth } from './helpers/cli.ts';
import { tempDir } from './helpers/server.ts';
import { openSqlite } from '../src/store/sqlite/store.ts';
import { join } from 'node:path';
import { sha256Hex } from '../src/security/hash.ts';
import type { FamilyRow, RefreshRow } from '../src/store/store.ts';

const dir = tempDir('auth-ops-');
const env = { DATA_DIR: dir };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('auth clients', () => {
  test('add a confidential client: the secret is printed once (--json) and stored only as a hash', async () => {
    const r = await runAuth(
      [
        'clients',
        'add',
        '--name',
        'Web',
        '--redirect-uri',
        'https://web.example/cb',
        '--redirect-uri',
        'https://web.example/cb2',
        '--scope',
        'openid',
        '--scope',
        'email',
        '--json',
      ],
      { env },
    );
    expect(r.code).toBe(0);
    const { client_id, client_secret } = JSON.parse(r.stdout);
    expect(client_id).toMatch(/^c_/);
    expect(client_secret).toMatch(/^cs_[A-Za-z0-9_-]{43}$/);
    const store = openSqlite(join(dir, 'auth.db'));
    const row = await store.clients.get(client_id);
    await store.close();
    expect(row).toMatchObject({
      name: 'Web',
      redirectUris: ['https://web.example/cb', 'https://web.example/cb2'],
      scopes: ['openid', 'email'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      origin: 'operator',
    });
    expect(row!.secretHash).toBe(sha256Hex(client_secret));
    const show = JSON.parse((await runAuth(['clients', 'show', client_id, '--json'], { env })).stdout);
    expect(show).toMatchObject({ client_id, client_name: 'Web', first_party: false });
    expect(JSON.stringify(show)).not.toContain(client_secret);
  });

  test('add a public first-party client with chosen grants; list shows it and the seeded auth-cli', async () => {
    const r = await runAuth(
      [
        'clients',
        'add',
        '--name',
        'CLI',
        '--public',
        '--first-party',
        '--redirect-uri',
        'http://127.0.0.1/callback',
        '--grant-type',
        'authorization_code',
        '--grant-type',
        'refresh_token',
        '--json',
      ],
      { env },
    );
    const { client_id, client_secret } = JSON.parse(r.stdout);
    expect(client_secret).toBeNull();
    const list = JSON.parse((await runAuth(['clients', 'list', '--json'], { env })).stdout) as {
      client_id: string;
      token_endpoint_auth_method: string;
      first_party: boolean;
    }[];
    expect(list.find((c) => c.client_id === client_id)).toMatchObject({ token_endpoint_auth_method: 'none', first_party: true });
    expect(list.some((c) => c.client_id === 'auth-cli')).toBe(true);
    const text = await runAuth(['clients', 'list'], { env });
    expect(text.stdout).toContain('auth-cli\tpublic\tseed');
  });

  test('rotate-secret replaces the secret; remove deletes; unknown ids fail with exit 1', async () => {
    const { client_id, client_secret } = JSON.parse(
      (await runAuth(['clients', 'add', '--name', 'Rot', '--redirect-uri', 'https://r.example/cb', '--json'], { env })).stdout,
    );
    const rot = JSON.parse((await runAuth(['clients', 'rotate-secret', client_id, '--json'], { env })).stdout);
    expect(rot.client_secret).not.toBe(client_secret);
    const store = openSqlite(join(dir, 'auth.db'));
    expect((await store.clients.get(client_id))!.secretHash).toBe(sha256Hex(rot.client_secret));
    await store.close();
    expect((await runAuth(['clients', 'remove', client_id], { env })).code).toBe(0);
    for (const args of [
      ['clients', 'show', client_id],
      ['clients', 'remove', client_id],
      ['clients', 'rotate-secret', client_id],
    ]) {
      const r = await runAuth(args, { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`no client ${client_id}`);
    }
    expect((await runAuth(['clients', 'rotate-secret', 'auth-cli'], { env })).stderr).toContain('public client');
  });

  test('invalid input is refused with a clear message', async () => {
    const cases: [string[], number, string][] = [
      [['clients', 'add', '--redirect-uri', 'https://x.example/cb'], 2, '--name'],
      [['clients', 'add', '--name', 'X', '--redirect-uri', 'http://x.example/cb'], 1, 'http not loopback'],
      [['clients', 'add', '--name', 'X', '--redirect-uri', 'https://x.example/cb#f'], 1, 'fragment'],
      [['clients', 'add', '--name', 'X'], 1, '--redirect-uri is required'],
      [['clients', 'add', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--grant-type', 'password'], 1, 'unknown grant type'],
      [['clients', 'add', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--scope', 'admin'], 1, 'unknown scope'],
      [['clients', 'add', '--name', 'X', '--public', '--grant-type', 'client_credentials'], 1, 'public client cannot'],
      [['clients', 'add', '--name', 'X', '--bogus'], 2, 'unknown flag --bogus'],
      [['clients', 'show'], 2, 'missing ID'],
    ];
    for (const [args, code, text] of cases) {
      const r = await runAuth(args, { env });
      expect(r.code).toBe(code);
      expect(r.stderr).toContain(text);
    }
  });
});

describe('removing a client or a user with many refresh families', () => {
  // More families than one removal batch (the SQLite store deletes them 25 per write turn), each with a live
  // token and one rotated away; a second client's or user's family must stay.
  const now = Math.floor(Date.now() / 1000);
  const family = (id: string, clientId: string, userId: string): FamilyRow => ({
    id,
    clientId,
    userId,
    scope: 'openid',
    resource: [],
    authTime: now,
    createdAt: now,
    revokedAt: null,
    expiresAt: now + 3600,
    liveTokenId: `${id}-t0`,
    liveParentId: null,
  });
  const token = (id: string, familyId: string): RefreshRow => ({
    id,
    hash: sha256Hex(id),
    familyId,
    scope: 'openid',
    resource: [],
    createdAt: now,
    expiresAt: now + 3600,
    consumedAt: null,
    lastJti: null,
    lastExp: null,
  });
  async function seed(prefix: string, clientId: string, userId: string, n: number) {
    const store = openSqlite(join(dir, 'auth.db'));
    for (let i = 0; i < n; i++) {
      const f = family(`${prefix}${i}`, clientId, userId);
      await store.refresh.insertFamily(f, token(`${f.id}-t0`, f.id));
      await store.refresh.rotate(`${f.id}-t0`, now, token(`${f.id}-t1`, f.id), now + 3600);
    }
    await store.close();
  }
  async function remaining(prefix: string, n: number) {
    const store = openSqlite(join(dir, 'auth.db'));
    let families = 0;
    let usable = 0;
    for (let i = 0; i < n; i++) {
      if (await store.refresh.getFamily(`${prefix}${i}`)) families++;
      if (await store.refresh.getWithFamily(`${prefix}${i}-t1`)) usable++;
    }
    await store.close();
    return { families, usable };
  }
  const addClient = async (name: string) =>
    JSON.parse((await runAuth(['clients', 'add', '--name', name, '--redirect-uri', 'https://m.example/cb', '--json'], { env })).stdout).client_id as string;
  const addUser = async (name: string) => {
    expect((await runAuth(['users', 'add', name], { env, stdin: 'long enough password\n' })).code).toBe(0);
    const store = openSqlite(join(dir, 'auth.db'));
    const id = (await store.users.getByUsername(name))!.id;
    await store.close();
    return id;
  };

  test('auth clients remove: all 80 families of the client go (four removal batches); another client keeps its own', async () => {
    const [gone, kept] = [await addClient('Many'), await addClient('Kept')];
    const user = await addUser('mona');
    await seed('cm', gone, user, 80);
    await seed('ck', kept, user, 3);
    const r = await runAuth(['clients', 'remove', gone], { env });
    expect(r.code).toBe(0);
    expect(await remaining('cm', 80)).toEqual({ families: 0, usable: 0 });
    expect(await remaining('ck', 3)).toEqual({ families: 3, usable: 3 });
  });

  test('auth users remove: all 80 families of the user go, whichever client; another user keeps their own', async () => {
    const client = await addClient('Shared');
    const [gone, kept] = [await addUser('nell'), await addUser('otto')];
    await seed('um', client, gone, 80);
    await seed('uk', client, kept, 3);
    const r = await runAuth(['users', 'remove', 'nell'], { env });
    expect(r.code).toBe(0);
    expect(await remaining('um', 80)).toEqual({ families: 0, usable: 0 });
    expect(await remaining('uk', 3)).toEqual({ families: 3, usable: 3 });
  });
});

describe('auth users', () => {
  test('add reads the password from stdin, stores argon2id; list shows it; passwd changes it; remove deletes', async () => {
    const add = await runAuth(['users', 'add', 'dana', '--email', 'dana@example.com', '--admin'], { env, stdin: 'first password\n' });
    expect(add.code).toBe(0);
    const store = openSqlite(join(dir, 'auth.db'));
    const u = await store.users.getByUsername('dana');
    expect(u!.passwordHash!.startsWith('$argon2id$')).toBe(true);
    expect(await Bun.password.verify('first password', u!.passwordHash!)).toBe(true);
    const list = JSON.parse((await runAuth(['users', 'list', '--json'], { env })).stdout);
    expect(list.find((x: { username: string }) => x.username === 'dana')).toMatchObject({ email: 'dana@example.com', admin: true });
    expect((await runAuth(['users', 'passwd', 'dana'], { env, stdin: 'second password\n' })).code).toBe(0);
    expect(await Bun.password.verify('second password', (await store.users.getByUsername('dana'))!.passwordHash!)).toBe(true);
    await store.close();
    expect((await runAuth(['users', 'remove', 'dana'], { env })).code).toBe(0);
    expect((await runAuth(['users', 'remove', 'dana'], { env })).code).toBe(1);
  });

  test('duplicates, short passwords, bad names and bad emails are refused', async () => {
    await runAuth(['users', 'add', 'eve'], { env, stdin: 'long enough password\n' });
    expect((await runAuth(['users', 'add', 'eve'], { env, stdin: 'long enough password\n' })).stderr).toContain('exists');
    expect((await runAuth(['users', 'add', 'frank'], { env, stdin: 'short\n' })).stderr).toContain('at least 8');
    expect((await runAuth(['users', 'add', '../x'], { env, stdin: 'long enough password\n' })).code).toBe(1);
    expect((await runAuth(['users', 'add', 'gil', '--email', 'nope'], { env, stdin: 'long enough password\n' })).stderr).toContain('invalid email');
    expect((await runAuth(['users', 'add'], { env })).code).toBe(2);
  });
});
