// The one time source of the domain. Tests pass a controllable clock to move time forward.
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** Whole seconds since the epoch, the unit of every timestamp in the store. */
export function nowS(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}

/**
 * A clock for tests: starts at real time and moves only when told — or, when `live`, follows real time
 * and can still jump forward (for tests where other processes poll on wall-clock time).
 */
export class TestClock implements Clock {
  private offset = 0;
  private readonly frozenAt: number;
  constructor(private readonly live = false) {
    this.frozenAt = Date.now();
  }
  nowMs(): number {
    return (this.live ? Date.now() : this.frozenAt) + this.offset;
  }
  advance(seconds: number): void {
    this.offset += seconds * 1000;
  }
}
