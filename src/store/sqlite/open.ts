// Opening a SQLite database the way this server uses it (WAL, busy timeout, foreign keys, a large page
// cache), and telling a database that cannot serve right now (503) from a bug (500).
import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../store.ts';

/**
 * The database holds private signing keys and token hashes: a new one is created 0600 in a 0700 directory
 * whatever the umask (SQLite gives its -wal and -shm files the database file's mode). An existing file or
 * directory that others can read is left as it is, with a warning.
 */
function secureFiles(path: string, warn: (message: string, fields: Record<string, unknown>) => void): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (statSync(dir).mode & 0o077 && dir !== '.' && dir !== '/') {
    warn('the database directory is open to other users; chmod 700 it', { path: dir, mode: (statSync(dir).mode & 0o777).toString(8) });
  }
  if (!existsSync(path)) {
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  } else if (statSync(path).mode & 0o077) {
    warn('the database file is readable by other users (it holds private keys); chmod 600 it', {
      path,
      mode: (statSync(path).mode & 0o777).toString(8),
    });
  }
}

/** Open (creating if needed) a SQLite database at `path` (':memory:' for tests). */
export function openDatabase(path: string, warn: (message: string, fields: Record<string, unknown>) => void = () => {}, cacheMiB = 8): Database {
  if (path !== ':memory:') secureFiles(path, warn);
  const db = new Database(path, { create: true, strict: true });
  // busy_timeout first: switching to WAL needs a lock another process may hold.
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  // Page cache (SQLite's default is 2 MiB; SQLITE_CACHE_SIZE, 8 MiB by default): the upper levels of the
  // token indexes stay in memory, so a lookup among a million families costs what it does in an empty
  // database (bench/growth.ts). Memory is taken only as pages are read, and counts in the resident size:
  // 64 MiB took the server to 190 MiB under sustained load (bench/memory.ts).
  db.exec(`PRAGMA cache_size = -${Math.round(cacheMiB * 1024)}`);
  return db;
}

// SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN: the database
// cannot serve right now; requests get 503 and the server keeps running.
const UNAVAILABLE = /SQLITE_(BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN)|database is locked|readonly database|disk is full|disk I\/O error|closed database/i;

export function classify(e: unknown): never {
  const code = (e as { code?: string }).code ?? '';
  if (UNAVAILABLE.test(code) || UNAVAILABLE.test(String((e as Error)?.message)))
    throw new StoreUnavailableError(`database unavailable: ${(e as Error).message}`);
  throw e;
}
