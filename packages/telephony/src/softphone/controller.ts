/**
 * What the workstation's phone panel shows and does, over a `Softphone` (./index.ts): registration,
 * the call (ringing / active / ended, tied to the dialer's attempt id), mute, hold, DTMF, hang-up,
 * and why the microphone cannot be used. Plain TypeScript with no JsSIP and no React: the panel
 * renders `view` and calls the actions; the module itself (and JsSIP) is loaded only by `create`,
 * so only agents with a browser phone download it. Tested with a fake phone (controller.test.ts)
 * and, in Chromium against Kamailio and rtpengine, with the real one (softphone.telephony.test.ts).
 */
import type { SoftphoneCall, SoftphoneEvents, SoftphoneState } from './index.ts';

/** The part of `Softphone` the controller uses. */
export interface PhoneEngine {
  on<K extends keyof SoftphoneEvents>(event: K, fn: SoftphoneEvents[K]): () => void;
  start(): void;
  stop(): void;
}

/**
 * Why the microphone cannot be used: `denied` (the agent or a policy refused it), `missing` (no input
 * device), `busy` (another program holds it, or the device failed), `insecure` (the page is not https:
 * or localhost, so the browser offers no microphone at all), `other`.
 */
export type MicProblem = 'denied' | 'missing' | 'busy' | 'insecure' | 'other';

export type CallStatus = 'ringing' | 'active' | 'ended';

export interface PhoneCallView {
  attemptId: string | null;
  remote: string;
  status: CallStatus;
  muted: boolean;
  held: boolean;
  /** When it started ringing, then when it was answered (ms since the epoch). */
  since: number;
  /** Why it ended (JsSIP's cause: "Terminated", "Canceled", "User Denied Media Access", …). */
  endCause: string | null;
  /** Keys pressed on this call, in order. */
  digits: string;
}

export interface PhoneView {
  /** `loading` until the module is loaded; then the registration as the phone reports it. */
  registration: 'loading' | SoftphoneState;
  /** The registrar's or the socket's words for the last failure. */
  detail: string | null;
  mic: MicProblem | null;
  call: PhoneCallView | null;
}

export interface PhoneControllerDeps {
  /** Makes the phone (the workstation: a dynamic import of ./index.ts, then `new Softphone({...})`). */
  create: () => PhoneEngine | Promise<PhoneEngine>;
  /** Asks for the microphone once (getUserMedia, tracks stopped at once); rejects with the browser's error. */
  checkMicrophone?: () => Promise<void>;
  now?: () => number;
}

/** JsSIP's cause when getUserMedia failed while answering. */
const MEDIA_DENIED = 'User Denied Media Access';
const DTMF_KEYS = /^[0-9*#A-D]$/;

/** A getUserMedia error (a DOMException by name) as one of the problems the panel explains. */
export function micProblemOf(err: unknown): MicProblem {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy';
    case 'InsecureContextError':
      return 'insecure';
    default:
      return 'other';
  }
}

export class PhoneController {
  private engine: PhoneEngine | null = null;
  private call: SoftphoneCall | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly offs: (() => void)[] = [];
  private stopped = false;
  private readonly now: () => number;
  view: PhoneView = { registration: 'loading', detail: null, mic: null, call: null };

  constructor(private readonly deps: PhoneControllerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** For React's useSyncExternalStore: called after every change of `view` (a new object each time). */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<PhoneView>): void {
    this.view = { ...this.view, ...patch };
    for (const fn of this.listeners) fn();
  }

  private setCall(patch: Partial<PhoneCallView>): void {
    if (this.view.call) this.set({ call: { ...this.view.call, ...patch } });
  }

  /** Loads and starts the phone, and asks for the microphone so that a refusal shows before the first call. */
  async start(): Promise<void> {
    const mic = this.checkMicrophone();
    let engine: PhoneEngine;
    try {
      engine = await this.deps.create();
    } catch (err) {
      this.set({ registration: 'failed', detail: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (this.stopped) return;
    this.engine = engine;
    this.set({ registration: 'connecting' });
    this.offs.push(
      engine.on('state', (s, detail) => this.set({ registration: s, detail: detail ?? null })),
      engine.on('incoming', (c) => this.incoming(c)),
      engine.on('connected', (c) => {
        if (c === this.call) this.setCall({ status: 'active', since: this.now() });
      }),
      engine.on('ended', (c, cause) => {
        if (c !== this.call) return;
        this.call = null;
        this.setCall({ status: 'ended', endCause: cause, muted: false, held: false });
        if (cause === MEDIA_DENIED) void this.checkMicrophone(true);
      }),
    );
    engine.start();
    await mic;
  }

  /** Asks for the microphone again (after the agent changed the browser's permission). */
  async checkMicrophone(force = false): Promise<MicProblem | null> {
    if (!this.deps.checkMicrophone) return null;
    let problem: MicProblem | null = null;
    try {
      await this.deps.checkMicrophone();
    } catch (err) {
      problem = micProblemOf(err);
    }
    // The call failed for media access although the check passed: the browser refused it then.
    if (!problem && force) problem = 'denied';
    if (!this.stopped) this.set({ mic: problem });
    return problem;
  }

  /** Stops the phone for good (a stopped controller does not start again: make a new one). */
  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    this.engine?.stop();
    this.engine = null;
    this.call = null;
  }

  private incoming(c: SoftphoneCall): void {
    // The phone itself refuses a second call while one is up; a call ringing here replaces an ended one.
    this.call = c;
    this.set({
      call: {
        attemptId: c.attemptId,
        remote: c.remote,
        status: 'ringing',
        muted: false,
        held: false,
        since: this.now(),
        endCause: null,
        digits: '',
      },
    });
  }

  /** Answers the ringing call (when the phone does not answer by itself). */
  answer(): void {
    if (this.call && this.view.call?.status === 'ringing') this.call.answer();
  }

  hangup(): void {
    this.call?.hangup();
  }

  toggleMute(): void {
    const v = this.view.call;
    if (!this.call || v?.status !== 'active') return;
    this.call.mute(!v.muted);
    this.setCall({ muted: !v.muted });
  }

  toggleHold(): void {
    const v = this.view.call;
    if (!this.call || v?.status !== 'active') return;
    if (this.call.hold(!v.held)) this.setCall({ held: !v.held });
  }

  /** One key of the keypad, on an active call that is not on hold. */
  dtmf(key: string): void {
    const v = this.view.call;
    if (!this.call || v?.status !== 'active' || v.held || !DTMF_KEYS.test(key)) return;
    this.call.dtmf(key);
    this.setCall({ digits: (v.digits + key).slice(-32) });
  }

  /** WebRTC packet counts of the call in progress (the panel's audio check, the real-peer test). */
  async stats(): Promise<{ packetsReceived: number; packetsSent: number } | null> {
    return this.call ? this.call.stats() : null;
  }
}
