// Choose and open the store named by the configuration: SQLite by default, PostgreSQL for postgres:// URLs.
import { join } from 'node:path';
import { ConfigError, type Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite/store.ts';
import type { Store } from './store.ts';

/** The SQLite path for a DATABASE_URL, or null when it names another database. */
export function sqlitePath(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string | null {
  const url = config.databaseUrl;
  if (!url) return join(config.dataDir, 'auth.db');
  if (url === ':memory:' || url === 'sqlite://:memory:') return ':memory:';
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('file://')) return url.slice('file://'.length);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return null;
  return url;
}

export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbPoolSize' | 'dbConnectTimeout'> & Partial<Pick<Config, 'sqliteCacheSize'>>,
  log: Logger,
): Promise<Store> {
  const path = sqlitePath(config);
  if (path !== null) return openSqlite(path, (message, fields) => log.warn(message, fields), config.sqliteCacheSize);
  const url = config.databaseUrl!;
  if (/^postgres(ql)?:\/\//i.test(url)) return openPostgres(url, { poolSize: config.dbPoolSize, connectTimeoutS: config.dbConnectTimeout, log });
  throw new ConfigError(`invalid DATABASE_URL: scheme ${url.split(':')[0]}:// is not supported (sqlite:// or postgres://)`);
}
