// Choose and open the store named by the configuration.
import { join } from 'node:path';
import { ConfigError, type Config } from '../config.ts';
import { openSqlite } from './sqlite.ts';
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

export function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Store {
  const path = sqlitePath(config);
  if (path === null) {
    const scheme = config.databaseUrl!.split(':')[0];
    throw new ConfigError(`invalid DATABASE_URL: scheme ${scheme}:// is not supported by this build (SQLite only; PostgreSQL is planned)`);
  }
  return openSqlite(path);
}
