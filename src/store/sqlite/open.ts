// Opening a SQLite database the way this server uses it (WAL, busy timeout, foreign keys, a large page
// cache), and telling a database that cannot serve right now (503) from a bug (500).
import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../store.ts';

/** Open (creating if needed) a SQLite database at `path` (':memory:' for tests). */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  // busy_timeout first: switching to WAL needs a lock another process may hold.
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  // Page cache of up to 64 MiB (SQLite's default is 2 MiB): token lookups in a large database then read
  // pages from memory instead of searching the WAL index and the file (a read took half the time in a
  // 1.7 GB WAL micro-benchmark). Memory is taken only as pages are read.
  db.exec('PRAGMA cache_size = -65536');
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
