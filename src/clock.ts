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

/** A clock for tests: starts at real time (or `start`), moves only when told. */
export class TestClock implements Clock {
  constructor(private ms: number = Date.now()) {}
  nowMs(): number {
    return this.ms;
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}
