// Upkeep a store needs while a server runs. SQLite: WAL checkpoints in a worker thread instead of SQLite's
// automatic ones on the request path (checkpointer.ts); the worker (a thread and its memory) starts only
// once the WAL passes 1 MiB, so an idle server stays small. PostgreSQL: nothing.
import { statSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { Checkpointer } from './checkpointer.ts';
import { SqliteStore } from './sqlite/store.ts';
import type { Store } from './store.ts';

const START_AT_WAL_BYTES = 1024 * 1024;

export function startMaintenance(store: Store, log: Logger): { stop(): void } {
  if (!(store instanceof SqliteStore) || store.path === ':memory:') return { stop() {} };
  store.db.exec('PRAGMA wal_autocheckpoint = 0');
  const wal = `${store.path}-wal`;
  let checkpointer: Checkpointer | null = null;
  const watch = setInterval(() => {
    try {
      if (statSync(wal).size < START_AT_WAL_BYTES) return;
    } catch {
      return;
    }
    checkpointer = new Checkpointer(store, log);
    clearInterval(watch);
  }, 200);
  return {
    stop() {
      clearInterval(watch);
      checkpointer?.stop();
    },
  };
}
