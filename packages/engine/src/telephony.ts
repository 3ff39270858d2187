/**
 * The telephony port: how the dialer places, connects and releases calls, whatever carries
 * them (the simulated carrier in demo mode and tests; SIP with rtpengine, FreeSWITCH … later).
 * Commands are fire-and-forget; what happens to a call arrives as events, in order per call.
 */

export interface OriginateRequest {
  /** The dialer's id for this attempt; every event names it. */
  callId: string;
  /** E.164 number to call. */
  to: string;
  /** Caller ID presented (from the project's pool). */
  callerId: string;
  /** Give up after this long unanswered (FTC: ring ≥ 15 s). */
  ringTimeoutMs: number;
  /** Run answering-machine detection before reporting an answer. */
  amd: boolean;
}

/** Why a call ended; `sipCode` carries the SIP-like status beside it. */
export type EndCause =
  | 'no_answer' // rang out (487 after CANCEL)
  | 'busy' // 486
  | 'failed' // 4xx/5xx other than busy: bad number, congestion
  | 'customer_hangup' // the callee hung up
  | 'agent_hangup' // the agent (or the dialer for them) hung up
  | 'abandoned' // answered, no agent in time: message played, line released
  | 'machine_released' // AMD said machine and the dialer released the line
  | 'cancelled'; // the dialer withdrew the call before an answer

export type TelephonyEvent =
  | { type: 'ringing'; callId: string; at: number }
  /** The far end answered; `amd` is the detector's verdict ('unknown' when AMD is off). */
  | { type: 'answered'; callId: string; at: number; amd: 'human' | 'machine' | 'unknown' }
  | { type: 'connected'; callId: string; at: number; agentId: string }
  | { type: 'ended'; callId: string; at: number; cause: EndCause; sipCode: number };

export interface Telephony {
  originate(req: OriginateRequest): void;
  /** Bridge an answered call to an agent's endpoint. */
  connect(callId: string, agentId: string): void;
  /** No agent in time: play the abandon message (naming the caller) and release. */
  abandon(callId: string): void;
  /** Release a call now (agent hung up, AMD machine, withdrawal before answer). */
  hangup(callId: string, cause: Extract<EndCause, 'agent_hangup' | 'machine_released' | 'cancelled'>): void;
  subscribe(listener: (e: TelephonyEvent) => void): () => void;
  /** Calls in progress (ringing, answered or connected). */
  readonly activeCalls: number;
}

/** Time and timers, injected so tests and the simulator run on a virtual clock. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
