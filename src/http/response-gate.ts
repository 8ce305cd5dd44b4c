// Responses of one event-loop turn leave together: the request lifecycle (serve.ts) marks each request with
// its turn, and its onAfterHandle holds a response made within that turn until the turn ends. Error responses
// are not held: the busiest one, device polling's authorization_pending, follows a group-committed write that
// has already ended the turn (held as well, it measured 1.010×).

/**
 * Holds the responses that are ready in the event-loop turn their request arrived in, and lets them leave
 * together once the turn's input has been read (one setImmediate per turn). Sending a response on loopback or
 * a container's veth processes its receipt inline and wakes the peer — a local proxy, or the load generator —
 * so one response at a time pays a wake-up each, and the next request arrives alone. Sent together, the
 * peer is woken once per turn and its next requests arrive together. Measured (docs/benchmarks.md): kernel
 * time per client_credentials request 27 → 9 µs, throughput 1.37×; a request on an idle server waits one
 * turn longer (about 5 µs). A response made in a later turn (a write the store group-commits, a round trip
 * to PostgreSQL) already leaves with the others of that turn and is not held again.
 */
export class ResponseGate {
  private current: (() => void)[] | null = null;
  /** The turn a request arriving now belongs to. */
  arrive(): object {
    if (!this.current) {
      this.current = [];
      setImmediate(this.release);
    }
    return this.current;
  }
  /** A promise to await before answering, while the request's turn is still running; else null. */
  hold(turn: object | undefined): Promise<void> | null {
    const current = this.current;
    if (!current || turn !== current) return null;
    return new Promise<void>((done) => current.push(done));
  }
  private readonly release = () => {
    const held = this.current ?? [];
    this.current = null;
    for (const done of held) done();
  };
}

/** The process's one event loop, so one gate. */
export const responseGate = new ResponseGate();
