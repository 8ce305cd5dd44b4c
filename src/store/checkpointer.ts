// SQLite WAL checkpoints off the request path. The main connection runs with wal_autocheckpoint = 0 (an
// automatic checkpoint on the event loop stalls requests ~10 ms every ~1000 pages —
// research/performance-baselines.md); a worker thread with its own connection checkpoints instead:
//
// - PASSIVE whenever something was written: it never blocks writers, and the thread runs under Linux's
//   SCHED_IDLE policy, so on a saturated core it gets the idle time instead of time slices taken from the
//   event loop (device authorization's p99 in bench runs: ~7 ms without checkpoints, ~11 ms with an
//   equal-priority worker). Nice 19, used before and still the fallback where SCHED_IDLE cannot be set,
//   was not enough: the scheduler still gives such a thread a slice now and then, and refresh rotation's
//   p99 was 0.6–1 ms lower with no checkpointer at all (3 alternations, 8 s each) — SCHED_IDLE threads
//   yield to any normal one. Once a PASSIVE pass has copied every frame, the next write starts the WAL
//   from the beginning again.
// - Under writes that never pause on a busy core the WAL can only grow; past hardFrames (1 GiB) the main
//   thread runs a RESTART itself between two write batches (copying what the worker has not, holding
//   writers back meanwhile) and logs a warning — a safety valve for the disk, not the normal path. The
//   RESTART is never left to the low-priority worker: it holds the write lock, and a starved lock holder
//   turned the event loop's 1 ms busy waits into 50–130 ms stalls in bench runs. The valve knows the WAL's
//   size only from the worker's last pass, and a starved worker's passes take tens of seconds: under
//   saturation the WAL reaches several GiB before the valve fires, and the RESTART then holds the event loop
//   0.2–1 s (measured: 30 s of device authorizations at ~20k/s with a CPU hog on the same core).
// - The valve fires only while writes go on at valveWrites (100) a second or more, measured over the last
//   valveWindowMs (1 s). Once they pause or slow to a trickle — the audit log's flush once a second, a client's
//   last-used time once a minute — the valve stays shut: the WAL hardly grows, the worker copies it on idle
//   time without stopping anyone, and the next write starts it over. (It fired after the writes had stopped —
//   a 131 ms p99 in a bench round that only read — when a long pass ended; and, while only the audit log
//   wrote, in a client_credentials round under load: a 2.5 GiB WAL restarted in 675 ms, p99 680 ms.)
// - After idleMs (5 s) without writes, a large WAL file is truncated (TRUNCATE) to give the disk space back.
//   TRUNCATE holds the write lock until the file is cut, and cutting a multi-GiB file takes its time (588 ms
//   for 3.5 GB on this ext4 with discard, mostly waiting on the disk: 111 ms of CPU for 2.5 GB), so it runs
//   only once a PASSIVE pass has copied every frame, on a short-lived thread at normal priority: on the
//   SCHED_IDLE thread, another process busy on the core (oidc-provider's turn in the bench) starved it with
//   the lock held, and the server's next write, the audit log's, waited for it on the event loop (cc p99
//   580–680 ms after 2.6 GiB of WAL; reproduced with a CPU hog).
import { statSync } from 'node:fs';
import type { Logger } from '../log.ts';

const WORKER = `
import { Database } from 'bun:sqlite';
import { setPriority } from 'node:os';
// Linux scheduling is per thread; pid 0 means the calling thread, i.e. this worker. SCHED_IDLE (5) needs no
// privilege; its parameter block holds a priority that must be 0.
function idlePolicy() {
  try {
    const { dlopen, FFIType, ptr } = require('bun:ffi');
    const libc = dlopen('libc.so.6', { sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 } });
    const ok = libc.symbols.sched_setscheduler(0, 5, ptr(new Int32Array(1))) === 0;
    libc.close();
    return ok;
  } catch {
    return false;
  }
}
// This thread's scheduling policy (/proc/thread-self/stat field 41), reported with each pass.
function policyNow() {
  try {
    const st = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8');
    return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[38]);
  } catch {
    return -1;
  }
}
let db = null;
self.onmessage = (e) => {
  const m = e.data;
  if (m.open) {
    if (m.idle && !idlePolicy()) try { setPriority(0, 19); } catch {}
    db = new Database(m.open);
    db.exec('PRAGMA busy_timeout = 5000');
    return;
  }
  if (m.checkpoint && db) {
    try {
      const r = db.query('PRAGMA wal_checkpoint(' + m.checkpoint + ')').get();
      postMessage({ ok: true, mode: m.checkpoint, busy: r.busy, log: r.log, checkpointed: r.checkpointed, policy: policyNow() });
    } catch (err) {
      postMessage({ ok: false, error: String(err) });
    }
    if (m.thenClose) {
      db.close();
      db = null;
    }
  }
  if (m.close && db) db.close();
};`;

export interface CheckpointPolicy {
  /** WAL frames (pages) after which the main thread restarts the WAL itself, while writes go on. */
  hardFrames: number;
  /** "Writes go on": at least valveWrites write operations in the last valveWindowMs, the latest within it. */
  valveWrites: number;
  valveWindowMs: number;
  /** No writes for this long: a WAL file larger than truncateBytes is truncated. */
  idleMs: number;
  truncateBytes: number;
  /** How often the policy is looked at. */
  tickMs: number;
}

/** 262144 frames × 4 KiB = 1 GiB of WAL before the safety valve, under 100 writes a second or more; 64 MiB kept after 5 s without writes. */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = {
  hardFrames: 262_144,
  valveWrites: 100,
  valveWindowMs: 1_000,
  idleMs: 5_000,
  truncateBytes: 64 * 1024 * 1024,
  tickMs: 100,
};

export interface CheckpointTarget {
  path: string;
  /** When the main connection last committed a write (performance.now() clock). */
  readonly lastWriteMs: number;
  /** Write operations run on the main connection so far. */
  readonly writeCount: number;
  /** Run `PRAGMA wal_checkpoint(RESTART)` on the main connection (between write batches). */
  restartWal(): { busy: number; log: number; checkpointed: number };
}

let url: string | undefined;
const workerUrl = () => (url ??= URL.createObjectURL(new Blob([WORKER], { type: 'application/javascript' })));

export class Checkpointer {
  private worker: Worker;
  /** The normal-priority thread of a TRUNCATE under way. */
  private truncator: Worker | null = null;
  /** Mode and scheduling policy (0 normal, 5 SCHED_IDLE) of the thread that ran the last pass. */
  lastPass: { mode: string; policy: number } | null = null;
  private timer: Timer;
  private running = false;
  private seenWrite: number;
  private dirty = true;
  private truncated = false;
  /** Frames in the WAL at the last PASSIVE pass (0 once a pass has copied all of them with no write since). */
  private lastLog = 0;
  /** target.lastWriteMs when the running pass was asked for. */
  private passFrom = 0;
  /** Write operations in the last complete valve window, and where the current window started. */
  private recentWrites = 0;
  private windowStart = performance.now();
  private windowCount = 0;

  constructor(target: CheckpointTarget, log: Logger, policy: CheckpointPolicy = DEFAULT_CHECKPOINT_POLICY) {
    const wal = `${target.path}-wal`;
    this.seenWrite = target.lastWriteMs;
    this.worker = new Worker(workerUrl());
    this.worker.postMessage({ open: target.path, idle: true });
    const onPass = (e: MessageEvent) => {
      this.running = false;
      if (!e.data.ok) {
        log.warn('WAL checkpoint failed', { error: e.data.error });
        return;
      }
      this.lastPass = { mode: e.data.mode, policy: e.data.policy };
      if (e.data.mode === 'PASSIVE') {
        // Every frame copied and nothing written since the pass began: the next write starts the WAL over by
        // itself, so there is nothing for the valve (and a second RESTART right after one is avoided).
        this.lastLog = e.data.checkpointed === e.data.log && target.lastWriteMs === this.passFrom ? 0 : e.data.log;
      }
      if (e.data.mode === 'TRUNCATE' && e.data.busy === 0) this.lastLog = 0;
    };
    this.worker.onmessage = onPass;
    this.windowCount = target.writeCount;
    this.timer = setInterval(() => {
      const now = performance.now();
      if (now - this.windowStart >= policy.valveWindowMs) {
        this.recentWrites = target.writeCount - this.windowCount;
        this.windowCount = target.writeCount;
        this.windowStart = now;
      }
      if (target.lastWriteMs !== this.seenWrite) {
        this.seenWrite = target.lastWriteMs;
        this.dirty = true;
        this.truncated = false;
      }
      if (this.running) return;
      if (this.lastLog >= policy.hardFrames && this.recentWrites >= policy.valveWrites && now - target.lastWriteMs < policy.valveWindowMs) {
        this.lastLog = 0;
        const t0 = performance.now();
        try {
          const r = target.restartWal();
          log.warn('WAL restarted under sustained writes', { frames: r.log, ms: Math.round(performance.now() - t0) });
        } catch (e) {
          log.warn('WAL restart failed', { error: String(e) });
        }
        return;
      }
      if (this.dirty) {
        this.dirty = false;
        this.running = true;
        this.passFrom = target.lastWriteMs;
        this.worker.postMessage({ checkpoint: 'PASSIVE' });
        return;
      }
      // Only once a PASSIVE pass has copied every frame (lastLog 0): the TRUNCATE then only cuts the file, and
      // copying stays on idle time.
      if (!this.truncated && now - this.seenWrite >= policy.idleMs && this.lastLog === 0) {
        this.truncated = true;
        try {
          if (statSync(wal).size < policy.truncateBytes) return;
        } catch {
          return;
        }
        this.running = true;
        const t = new Worker(workerUrl());
        this.truncator = t;
        t.onmessage = (e: MessageEvent) => {
          t.terminate();
          this.truncator = null;
          onPass(e);
        };
        t.postMessage({ open: target.path, idle: false });
        t.postMessage({ checkpoint: 'TRUNCATE', thenClose: true });
      }
    }, policy.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.worker.postMessage({ close: true });
    this.worker.terminate();
    this.truncator?.terminate();
  }
}
