// Group commit: the write operations of one event-loop turn share one BEGIN IMMEDIATE transaction, each in
// its own SAVEPOINT, and every caller is answered only after the COMMIT.
import type { Database, Statement } from 'bun:sqlite';
import { classify } from './open.ts';

interface QueuedWrite {
  fn: () => unknown;
  // biome-ignore lint/suspicious/noExplicitAny: each queued write resolves its own caller's promise type
  done: (v: any) => void;
  fail: (e: unknown) => void;
}

export class WriteQueue {
  private queue: QueuedWrite[] = [];
  /** Prepared once: SAVEPOINT / RELEASE / ROLLBACK TO run for every operation of a batch. */
  private savepoints: { begin: Statement; release: Statement; rollback: Statement } | null = null;
  /** When this connection last committed a write (performance.now()), for the WAL checkpointer. */
  lastWriteMs = 0;
  /** Write operations run on this connection so far (the checkpointer's measure of sustained writes). */
  writeCount = 0;

  /** `committed` runs once a batch is over (committed or not), before any of its callers is answered. */
  constructor(
    private readonly db: Database,
    private readonly committed: () => void,
  ) {}

  /**
   * Group commit for the writes of the request path. A WAL commit costs more than the rows it carries, so
   * the write operations queued in one event-loop turn run in one BEGIN IMMEDIATE transaction, each inside
   * its own SAVEPOINT: every operation stays atomic and independent (a failing one is rolled back alone and
   * its caller gets the error), and every caller's promise resolves only after the COMMIT — a response is
   * never sent before its write is in the WAL.
   */
  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((done, fail) => {
      if (this.queue.length === 0) setImmediate(() => this.flushWrites());
      this.queue.push({ fn, done, fail });
    });
  }

  private flushWrites(): void {
    this.lastWriteMs = performance.now();
    const batch = this.queue;
    this.queue = [];
    this.writeCount += batch.length;
    const out: ({ ok: true; v: unknown } | { ok: false; e: unknown })[] = [];
    try {
      this.savepoints ??= { begin: this.db.prepare('SAVEPOINT op'), release: this.db.prepare('RELEASE op'), rollback: this.db.prepare('ROLLBACK TO op') };
      const sp = this.savepoints;
      this.db
        .transaction(() => {
          for (const op of batch) {
            sp.begin.run();
            try {
              out.push({ ok: true, v: op.fn() });
              sp.release.run();
            } catch (e) {
              sp.rollback.run();
              sp.release.run();
              out.push({ ok: false, e });
            }
          }
        })
        .immediate();
    } catch (e) {
      this.committed();
      // BEGIN or COMMIT failed (locked, full, read-only…): nothing of the batch is stored.
      for (const op of batch) {
        try {
          classify(e);
        } catch (err) {
          op.fail(err);
        }
      }
      return;
    }
    this.committed(); // before any caller of the batch is answered
    batch.forEach((op, i) => {
      const r = out[i]!;
      if (r.ok) op.done(r.v);
      else op.fail(r.e);
    });
  }

  /** A write transaction (BEGIN IMMEDIATE: the write lock first, so processes serialise). */
  tx<T>(fn: () => T): T {
    try {
      this.lastWriteMs = performance.now();
      this.writeCount++;
      return this.db.transaction(fn).immediate();
    } catch (e) {
      return classify(e);
    }
  }
}
