// Configuration for commands: the environment plus `.env` in the working directory, validated.
import { loadConfig, readEnvironment, type Config } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';

export async function commandConfig(): Promise<Config> {
  return loadConfig(await readEnvironment(process.env, process.cwd()));
}

export function commandLogger(config: Config): Logger {
  return createLogger(config.logLevel, config.logFormat);
}

import { systemClock } from '../clock.ts';
import type { Deps } from '../domain/deps.ts';
import { KeyRing } from '../domain/keys.ts';
import { RateLimiter } from '../domain/rate-limit.ts';
import { ClientDocuments } from '../domain/client-documents.ts';
import { createUpstreams } from '../domain/upstream.ts';
import { openStore } from '../store/open.ts';

/** Dependencies for operator commands: the configured store, migrated; nothing listens. */
export async function commandDeps(): Promise<{ deps: Deps; close: () => Promise<void> }> {
  const config = await commandConfig();
  const store = openStore(config);
  await store.migrate();
  const log = createLogger('warn', config.logFormat);
  const deps: Deps = {
    config,
    store,
    clock: systemClock,
    log,
    keys: new KeyRing(store, systemClock, config.baseUrl, config.accessTokenTtl),
    limits: {
      login: new RateLimiter(config.loginRateLimit, config.loginRateWindow, systemClock),
      deviceEntry: new RateLimiter(config.deviceEntryRateLimit, config.deviceEntryRateWindow, systemClock),
      registration: new RateLimiter(config.registrationRateLimit, config.registrationRateWindow, systemClock),
    },
    clientDocuments: config.clientMetadataDocuments ? new ClientDocuments(store, systemClock, config) : null,
    upstreams: createUpstreams(config),
  };
  return { deps, close: () => store.close() };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
