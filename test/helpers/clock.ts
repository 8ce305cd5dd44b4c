// A clock for tests: starts at real time and moves only when told — or, when `live`, follows real time
// and can still jump forward (for tests where other processes poll on wall-clock time).
import type { Clock } from '../../src/clock.ts';

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
