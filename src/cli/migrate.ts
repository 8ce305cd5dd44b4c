// `auth migrate`: apply pending migrations and exit.
import { openStore } from '../store/open.ts';
import { createLogger } from '../log.ts';
import { parse } from './args.ts';
import { commandConfig } from './env.ts';

export async function migrateCommand(args: string[]): Promise<number> {
  parse(args, 'migrate');
  const config = await commandConfig();
  const store = await openStore(config, createLogger(config.logLevel, config.logFormat));
  try {
    const applied = await store.migrate();
    process.stdout.write(applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  } finally {
    await store.close();
  }
}
