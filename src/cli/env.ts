// Configuration and dependencies for commands: the environment plus `.env` in the working directory, validated.
import { userInfo } from 'node:os';
import { type Config, loadConfig, readSettings, settingSource, unknownSettings } from '../config.ts';
import { createLogger } from '../log.ts';
import { systemClock } from '../clock.ts';
import type { Deps } from '../domain/deps.ts';
import { openStore } from '../store/open.ts';
import { buildDeps } from '../deps.ts';

export interface CommandConfig {
  config: Config;
  /** Where a setting came from: "the environment", the .env path or "the default". */
  sourceOf: (name: string) => string;
  /** Settings that look mistyped, as warning lines. */
  warnings: string[];
}

export async function loadCommandConfig(): Promise<CommandConfig> {
  const source = await readSettings(process.env, process.cwd());
  const config = loadConfig(source.env);
  const warnings = unknownSettings(source.env).map(
    (u) => `${u.name}${source.fileKeys.includes(u.name) ? ` (in ${source.file})` : ''} is not a setting; did you mean ${u.closest}?`,
  );
  return { config, sourceOf: (name) => settingSource(name, process.env, source), warnings };
}

export async function commandConfig(): Promise<Config> {
  const c = await loadCommandConfig();
  for (const w of c.warnings) process.stderr.write(`auth: warning: ${w}\n`);
  return c.config;
}

/** Dependencies for operator commands: the configured store, migrated; nothing listens. */
export async function commandDeps(): Promise<{ deps: Deps; close: () => Promise<void>; sourceOf: (name: string) => string }> {
  const c = await loadCommandConfig();
  for (const w of c.warnings) process.stderr.write(`auth: warning: ${w}\n`);
  const log = createLogger('warn', c.config.logFormat);
  const store = await openStore(c.config, log);
  await store.migrate();
  const deps = buildDeps(c.config, log, systemClock, store);
  return {
    deps,
    sourceOf: c.sourceOf,
    close: async () => {
      await deps.audit.flush();
      await store.close();
    },
  };
}

/** Who ran an operator command, for the audit log: `cli:<login name>`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid ${process.getuid?.() ?? '?'}`;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
