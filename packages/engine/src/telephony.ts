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
  /** The trunk to place it on (a campaign's `trunk` setting); absent: the carrier's default. */
  trunk?: string;
  /** The organisation placing it (its own trunks are looked up first). */
  orgId?: string;
}

/**
 * The detail under an EndCause, where the carrier knows it: which SIP failure or which local
 * condition. The outcome the compliance gate and retry rules see is still the EndCause.
 */
export type EndReason =
  | 'ring_timeout' // we cancelled at the ring timeout (487)
  | 'unavailable' // 480, 408 from the far end
  | 'busy' // 486, 600
  | 'declined' // 603
  | 'not_found' // 404, 410, 484, 604: a bad number
  | 'congestion' // 500, 502, 503, 504
  | 'rejected' // another 4xx/5xx/6xx
  | 'timeout' // no response at all (timer B)
  | 'transport_error' // the request could not be sent (connection refused, reset)
  | 'auth_failed' // the trunk refused our credentials (401/407)
  | 'trunk_full' // the trunk's channel limit was reached
  | 'media_error' // the media relay failed the call
  | 'agent_unreachable'; // the agent's phone did not answer the bridge: the customer got the abandon message

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
  | {
      type: 'answered';
      callId: string;
      at: number;
      amd: 'human' | 'machine' | 'unknown';
      /** How long AMD listened before deciding, ms (absent when AMD was off). */
      amdMs?: number;
    }
  | { type: 'connected'; callId: string; at: number; agentId: string }
  /** The callee pressed a key (RFC 4733 event or SIP INFO) while no agent was on the call. */
  | { type: 'dtmf'; callId: string; at: number; digit: string }
  /** The call's recording (both parties) is stored; it comes after `ended`. */
  | { type: 'recorded'; callId: string; at: number; path: string; durationMs: number }
  | { type: 'ended'; callId: string; at: number; cause: EndCause; sipCode: number; reason?: EndReason };

export interface Telephony {
  originate(req: OriginateRequest): void;
  /** Bridge an answered call to an agent's endpoint. */
  connect(callId: string, agentId: string): void;
  /** No agent in time: play the abandon message (naming the caller) and release. */
  abandon(callId: string): void;
  /** Release a call now (agent hung up, AMD machine, withdrawal before answer). */
  hangup(callId: string, cause: Extract<EndCause, 'agent_hangup' | 'machine_released' | 'cancelled'>): void;
  subscribe(listener: (e: TelephonyEvent) => void): () => void;
  /**
   * Agentless (IVR) campaigns: play a prompt to an answered call nobody has taken; the callee's
   * keys come back as `dtmf` events. Optional: carriers without media (the simulated one
   * answers with scripted keys instead) may leave it out.
   */
  playPrompt?(callId: string, prompt: string): void;
  /** Puts a connected call on hold (the customer hears silence or music) or takes it off. */
  hold?(callId: string, on: boolean): void;
  /**
   * Moves a connected call to another agent. Blind: the first agent leaves at once. Attended:
   * the first agent stays bridged until the second answers, then leaves.
   */
  transfer?(callId: string, toAgentId: string, kind: 'blind' | 'attended'): void;
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
