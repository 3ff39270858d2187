import type { Scheduler } from '../telephony.ts';

/**
 * Time that moves only when told to: tests and the load benchmark run the live dialer's code
 * minutes or hours ahead in seconds, deterministically. Timers fire in time order (ties in the
 * order they were set).
 */
export class VirtualScheduler implements Scheduler {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; seq: number; fn: () => void }>();

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Runs every timer due up to `now + ms`, in order, advancing the clock to each. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: { id: number; at: number; seq: number; fn: () => void } | undefined;
      for (const [id, x] of this.timers) {
        if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = { id, ...x };
      }
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
