// SQLite WAL checkpoints off the request path: a worker thread with its own connection runs
// `PRAGMA wal_checkpoint(PASSIVE)` on a timer, while the main connection has wal_autocheckpoint = 0.
// (An automatic checkpoint on the event loop stalls requests ~10 ms every ~1000 pages —
// research/performance-baselines.md.) PASSIVE never blocks writers; the WAL is truncated at close.
import type { Logger } from '../log.ts';

const WORKER = `
import { Database } from 'bun:sqlite';
let db = null;
self.onmessage = (e) => {
  const m = e.data;
  if (m.open) {
    db = new Database(m.open);
    db.exec('PRAGMA busy_timeout = 5000');
    return;
  }
  if (m.checkpoint && db) {
    try {
      const r = db.query('PRAGMA wal_checkpoint(PASSIVE)').get();
      postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
    } catch (err) {
      postMessage({ ok: false, error: String(err) });
    }
  }
  if (m.close && db) db.close();
};`;

export class Checkpointer {
  private worker: Worker;
  private timer: Timer;
  private busy = false;

  constructor(path: string, intervalMs: number, log: Logger) {
    this.worker = new Worker(URL.createObjectURL(new Blob([WORKER], { type: 'application/javascript' })));
    this.worker.postMessage({ open: path });
    this.worker.onmessage = (e: MessageEvent) => {
      this.busy = false;
      if (!e.data.ok) log.warn('WAL checkpoint failed', { error: e.data.error });
    };
    this.timer = setInterval(() => {
      if (this.busy) return; // one at a time
      this.busy = true;
      this.worker.postMessage({ checkpoint: true });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.worker.postMessage({ close: true });
    this.worker.terminate();
  }
}
