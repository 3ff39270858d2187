import { describe, expect, it } from 'vitest';
import type { Scheduler, TelephonyEvent } from '@outdial/engine';
import { SimulatedCarrier, defaultSimulatedCarrier, type SimulatedCarrierConfig } from './index.ts';

/** A virtual clock: timers fire in order when `advance` moves time past them. */
class VirtualScheduler implements Scheduler {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown) {
    this.timers.delete(h as number);
  }
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers)
        if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s - 1) / 2147483646;
  };
}

function run(cfg: SimulatedCarrierConfig, n: number, amd: boolean) {
  const sched = new VirtualScheduler();
  const carrier = new SimulatedCarrier(cfg, sched, seeded(7));
  const events: TelephonyEvent[] = [];
  carrier.subscribe((e) => {
    events.push(e);
    // Connect every answered call judged human at once; release machines.
    if (e.type === 'answered') {
      if (e.amd === 'machine') carrier.hangup(e.callId, 'machine_released');
      else carrier.connect(e.callId, 'agent-1');
    }
  });
  for (let i = 0; i < n; i++)
    carrier.originate({ callId: `c${i}`, to: '+8613800000000', callerId: '+862100000000', ringTimeoutMs: 20_000, amd });
  sched.advance(24 * 3600_000);
  return { events, carrier };
}

describe('SimulatedCarrier', () => {
  it('ends every call exactly once, after ringing, with its outcome in the configured proportions', () => {
    const { events, carrier } = run(defaultSimulatedCarrier, 4000, false);
    expect(carrier.activeCalls).toBe(0);
    const ended = events.filter((e) => e.type === 'ended');
    expect(ended).toHaveLength(4000);
    expect(new Set(ended.map((e) => e.callId)).size).toBe(4000);
    const share = (cause: string) => ended.filter((e) => e.type === 'ended' && e.cause === cause).length / 4000;
    expect(share('busy')).toBeCloseTo(0.05, 1);
    expect(share('failed')).toBeCloseTo(0.03, 1);
    // answered (person or machine) calls were connected and hung up by the customer
    expect(share('customer_hangup')).toBeGreaterThan(0.3);
    expect(share('no_answer')).toBeGreaterThan(0.4);
    for (const e of events) if (e.type === 'ended' && e.cause === 'no_answer') expect(e.sipCode).toBe(487);
  });

  it('runs a fallible AMD: some people are released as machines, some machines reach agents', () => {
    const cfg = {
      ...defaultSimulatedCarrier,
      personRate: 0.5,
      machineRate: 0.5,
      busyRate: 0,
      failedRate: 0,
      meanRingMs: 2000,
      amdFalsePositive: 0.1,
      amdFalseNegative: 0.2,
    };
    const { events } = run(cfg, 2000, true);
    const answered = events.filter((e) => e.type === 'answered');
    expect(answered.length).toBeGreaterThan(1800);
    const machines = answered.filter((e) => e.type === 'answered' && e.amd === 'machine').length / answered.length;
    // 0.5·0.1 (people misjudged) + 0.5·0.8 (machines caught) = 0.45
    expect(machines).toBeCloseTo(0.45, 1);
  });

  it('a person left waiting hangs up; abandon plays the message then releases', () => {
    const sched = new VirtualScheduler();
    const carrier = new SimulatedCarrier(
      { ...defaultSimulatedCarrier, personRate: 1, machineRate: 0, busyRate: 0, failedRate: 0, meanRingMs: 1000 },
      sched,
      seeded(3),
    );
    const events: TelephonyEvent[] = [];
    carrier.subscribe((e) => events.push(e));
    carrier.originate({ callId: 'wait', to: '+1', callerId: '+2', ringTimeoutMs: 60_000, amd: false });
    carrier.originate({ callId: 'drop', to: '+1', callerId: '+2', ringTimeoutMs: 60_000, amd: false });
    sched.advance(30_000);
    const answeredAt = (id: string) => events.find((e) => e.type === 'answered' && e.callId === id)!.at;
    expect(events.find((e) => e.type === 'ended' && e.callId === 'wait')).toMatchObject({
      cause: 'customer_hangup',
      at: answeredAt('wait') + defaultSimulatedCarrier.customerPatienceMs,
    });
    carrier.originate({ callId: 'drop2', to: '+1', callerId: '+2', ringTimeoutMs: 60_000, amd: false });
    carrier.subscribe((e) => {
      if (e.type === 'answered' && e.callId === 'drop2') carrier.abandon('drop2');
    });
    sched.advance(30_000);
    expect(events.find((e) => e.type === 'ended' && e.callId === 'drop2')).toMatchObject({
      cause: 'abandoned',
      at: answeredAt('drop2') + defaultSimulatedCarrier.abandonMessageMs,
    });
    expect(() => carrier.connect('nope', 'a')).toThrow(/not waiting/);
  });
});
