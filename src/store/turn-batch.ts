// One round trip for the calls of one event-loop turn: the PostgreSQL store's hot reads and rotations.
// Each request's query waits for a pooled connection and then for PostgreSQL; with DB_POOL_SIZE connections
// a server can answer at most pool ÷ round trip of them a second, however idle PostgreSQL is. Under load a
// turn brings many requests at once, and one query for all of them lifts that cap (bench/POSTGRES.md).

interface Pending<In, Out> {
  input: In;
  done: (v: Out) => void;
  fail: (e: unknown) => void;
}

/**
 * `call(input)` queues `input`; the inputs queued in one turn (up to `max`) go to `run` together, which
 * answers each, in order, with a value or an Error. A call alone waits one `setImmediate`. When `run` throws,
 * every call of the batch fails with that error.
 */
export class TurnBatch<In, Out> {
  private pending: Pending<In, Out>[] = [];

  constructor(
    private readonly run: (inputs: In[]) => Promise<(Out | Error)[]>,
    private readonly max = 256,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise<Out>((done, fail) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ input, done, fail });
      if (this.pending.length >= this.max) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (!batch.length) return; // already flushed when it reached `max`
    this.pending = [];
    this.run(batch.map((p) => p.input)).then(
      (out) =>
        batch.forEach((p, i) => {
          const r = out[i];
          if (r instanceof Error) p.fail(r);
          else p.done(r as Out);
        }),
      (e) => {
        for (const p of batch) p.fail(e);
      },
    );
  }
}
