// What a fresh server gets when there is no user at all: an `admin` with a random password written once
// to DATA_DIR/initial-admin-password (0600) — never a fixed default. (The public CLI client `auth-cli`
// is seeded by migration 0003.)
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nowS, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { hashPassword } from './domain/passwords.ts';
import type { Logger } from './log.ts';
import { randomId, randomToken } from './security/random.ts';
import type { Store } from './store/store.ts';

export async function ensureSeeds({
  store,
  clock,
  config,
  log,
}: {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'dataDir'>;
  log: Logger;
}): Promise<string | null> {
  if ((await store.users.count()) > 0) return null;
  const password = randomToken(18);
  const file = resolve(join(config.dataDir, 'initial-admin-password'));
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) {
    log.warn('initial-admin-password exists but no user does; leaving it and creating a new password', { file });
  }
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  await store.users.insert({
    id: randomId(),
    username: 'admin',
    email: null,
    emailVerified: false,
    passwordHash: await hashPassword(password),
    isAdmin: true,
    createdAt: nowS(clock),
  });
  log.warn('created user "admin"; its password is in the file named here (read it, then delete it)', { file });
  return file;
}
