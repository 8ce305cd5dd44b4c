// The one time source of the domain. Tests pass a controllable clock to move time forward (test/helpers/clock.ts).
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** Whole seconds since the epoch, the unit of every timestamp in the store. */
export function nowS(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}
