import { describe, expect, it } from 'vitest';
import type { SoftphoneCall, SoftphoneEvents } from './index.ts';
import { micProblemOf, PhoneController, type PhoneEngine } from './controller.ts';

/** A phone that records what the controller asked of it, and lets the test fire its events. */
class FakePhone implements PhoneEngine {
  started = false;
  stopped = false;
  private readonly handlers = new Map<string, ((...a: unknown[]) => void)[]>();
  on<K extends keyof SoftphoneEvents>(event: K, fn: SoftphoneEvents[K]): () => void {
    const list = this.handlers.get(event) ?? [];
    const f = fn as unknown as (...a: unknown[]) => void;
    list.push(f);
    this.handlers.set(event, list);
    return () => list.splice(list.indexOf(f), 1);
  }
  emit<K extends keyof SoftphoneEvents>(event: K, ...args: Parameters<SoftphoneEvents[K]>): void {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  listeners(): number {
    return [...this.handlers.values()].reduce((n, l) => n + l.length, 0);
  }
  start(): void {
    this.started = true;
  }
  stop(): void {
    this.stopped = true;
  }
}

function fakeCall(attemptId: string | null, holdWorks = true) {
  const log: string[] = [];
  const call: SoftphoneCall = {
    attemptId,
    remote: 'sip:outdial@127.0.0.1:5070',
    answer: () => log.push('answer'),
    hangup: () => log.push('hangup'),
    hold: (on) => {
      log.push(`hold:${on}`);
      return holdWorks;
    },
    mute: (on) => log.push(`mute:${on}`),
    dtmf: (d) => log.push(`dtmf:${d}`),
    stats: async () => ({ packetsReceived: 10, packetsSent: 12 }),
  };
  return { call, log };
}

const denied = () => Promise.reject(Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }));

async function started(opts: { mic?: () => Promise<void> } = {}) {
  const phone = new FakePhone();
  let t = 1000;
  const c = new PhoneController({
    create: async () => phone,
    ...(opts.mic ? { checkMicrophone: opts.mic } : {}),
    now: () => t,
  });
  const seen: unknown[] = [];
  c.subscribe(() => seen.push(c.view));
  await c.start();
  return { c, phone, seen, tick: (ms: number) => (t += ms) };
}

describe('PhoneController (the workstation phone panel, without React or JsSIP)', () => {
  it('follows registration from loading to registered, and the words of a failure', async () => {
    const phone = new FakePhone();
    let release!: () => void;
    const c = new PhoneController({ create: () => new Promise<PhoneEngine>((r) => (release = () => r(phone))) });
    const starting = c.start();
    expect(c.view.registration).toBe('loading');
    release();
    await starting;
    expect(phone.started).toBe(true);
    expect(c.view.registration).toBe('connecting');
    phone.emit('state', 'registered');
    expect(c.view).toMatchObject({ registration: 'registered', detail: null });
    phone.emit('state', 'failed', 'Request Timeout');
    expect(c.view).toMatchObject({ registration: 'failed', detail: 'Request Timeout' });
  });

  it('a module that does not load is a failed registration with its reason', async () => {
    const c = new PhoneController({ create: () => Promise.reject(new Error('chunk failed')) });
    await c.start();
    expect(c.view).toMatchObject({ registration: 'failed', detail: 'chunk failed' });
  });

  it('rings with the attempt id, answers on the click, then mute, hold and keys act on the call', async () => {
    const { c, phone, tick } = await started();
    const { call, log } = fakeCall('att-1');
    phone.emit('incoming', call);
    expect(c.view.call).toMatchObject({ attemptId: 'att-1', status: 'ringing', since: 1000 });
    // Nothing acts on a call that is not up yet, except answer and hang-up.
    c.toggleMute();
    c.toggleHold();
    c.dtmf('1');
    expect(log).toEqual([]);
    c.answer();
    expect(log).toEqual(['answer']);
    tick(2500);
    phone.emit('connected', call);
    expect(c.view.call).toMatchObject({ status: 'active', since: 3500 });
    c.answer(); // not ringing any more: nothing
    c.toggleMute();
    expect(c.view.call?.muted).toBe(true);
    c.toggleMute();
    c.dtmf('5');
    c.dtmf('#');
    c.dtmf('x'); // not a key
    c.toggleHold();
    expect(c.view.call?.held).toBe(true);
    c.dtmf('9'); // no keys on hold
    c.toggleHold();
    expect(c.view.call).toMatchObject({ held: false, muted: false, digits: '5#' });
    expect(await c.stats()).toEqual({ packetsReceived: 10, packetsSent: 12 });
    c.hangup();
    expect(log).toEqual(['answer', 'mute:true', 'mute:false', 'dtmf:5', 'dtmf:#', 'hold:true', 'hold:false', 'hangup']);
    phone.emit('ended', call, 'Terminated');
    expect(c.view.call).toMatchObject({ status: 'ended', endCause: 'Terminated', attemptId: 'att-1' });
    expect(await c.stats()).toBeNull();
    c.hangup(); // already ended: nothing more
    expect(log.at(-1)).toBe('hangup');
    expect(log.filter((x) => x === 'hangup')).toHaveLength(1);
  });

  it('a hold the phone cannot do now leaves the call off hold', async () => {
    const { c, phone } = await started();
    const { call } = fakeCall('att-2', false);
    phone.emit('incoming', call);
    phone.emit('connected', call);
    c.toggleHold();
    expect(c.view.call?.held).toBe(false);
  });

  it('ignores events of a call it no longer shows', async () => {
    const { c, phone } = await started();
    const first = fakeCall('att-a').call;
    const second = fakeCall('att-b').call;
    phone.emit('incoming', first);
    phone.emit('ended', first, 'Canceled');
    phone.emit('incoming', second);
    phone.emit('connected', first);
    phone.emit('ended', first, 'Terminated');
    expect(c.view.call).toMatchObject({ attemptId: 'att-b', status: 'ringing', endCause: null });
  });

  it('explains a refused microphone at start and again when a call fails for media access', async () => {
    let allow = false;
    const { c, phone } = await started({ mic: () => (allow ? Promise.resolve() : denied()) });
    expect(c.view.mic).toBe('denied');
    allow = true;
    expect(await c.checkMicrophone()).toBeNull();
    expect(c.view.mic).toBeNull();
    const { call } = fakeCall('att-3');
    phone.emit('incoming', call);
    phone.emit('ended', call, 'User Denied Media Access');
    await Promise.resolve();
    // The check passes now, but the browser refused it for the call: still a refusal to explain.
    expect(c.view.mic).toBe('denied');
  });

  it('names the browser errors of getUserMedia', () => {
    const e = (name: string) => Object.assign(new Error(name), { name });
    expect(micProblemOf(e('NotAllowedError'))).toBe('denied');
    expect(micProblemOf(e('SecurityError'))).toBe('denied');
    expect(micProblemOf(e('NotFoundError'))).toBe('missing');
    expect(micProblemOf(e('NotReadableError'))).toBe('busy');
    expect(micProblemOf(e('InsecureContextError'))).toBe('insecure');
    expect(micProblemOf(e('TypeError'))).toBe('other');
    expect(micProblemOf('nonsense')).toBe('other');
  });

  it('stop() stops the phone and drops its listeners; a late load after stop starts nothing', async () => {
    const { c, phone, seen } = await started();
    const before = seen.length;
    c.stop();
    expect(phone.stopped).toBe(true);
    expect(phone.listeners()).toBe(0);
    phone.emit('state', 'registered');
    expect(seen.length).toBe(before);
    const late = new FakePhone();
    let release!: () => void;
    const c2 = new PhoneController({ create: () => new Promise<PhoneEngine>((r) => (release = () => r(late))) });
    const s = c2.start();
    c2.stop();
    release();
    await s;
    expect(late.started).toBe(false);
  });
});
