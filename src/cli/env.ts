// Configuration and dependencies for commands: the environment plus `.env` in the working directory, validated.
import { loadConfig, readEnvironment, type Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { systemClock } from '../clock.ts';
import type { Deps } from '../domain/deps.ts';
import { openStore } from '../store/open.ts';
import { buildDeps } from '../deps.ts';

export async function commandConfig(): Promise<Config> {
  return loadConfig(await readEnvironment(process.env, process.cwd()));
}

/** Dependencies for operator commands: the configured store, migrated; nothing listens. */
export async function commandDeps(): Promise<{ deps: Deps; close: () => Promise<void> }> {
  const config = await commandConfig();
  const log = createLogger('warn', config.logFormat);
  const store = await openStore(config, log);
  await store.migrate();
  const deps = buildDeps(config, log, systemClock, store);
  return {
    deps,
    close: async () => {
      await deps.audit.flush();
      await store.close();
    },
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
