/**
 * The contract between a pacing policy and whatever runs it — the discrete-event simulator
 * (packages/simulator) or the live dialer. Policies are deterministic state machines: time
 * arrives in snapshots and events (seconds), randomness (only the Erlang baseline needs it)
 * through the `random` argument. No clock, no I/O.
 */

/** What the dialer sees at a decision instant. Times in seconds. */
export interface PacingSnapshot {
  now: number;
  /** Agents logged in and not on a break. */
  agentsActive: number;
  agentsReady: number;
  agentsTalking: number;
  agentsWrap: number;
  agentsOnBreak: number;
  /** Idle seconds of each READY agent (any order). */
  readyIdle: readonly number[];
  /** Seconds since each TALKING agent's call was connected. */
  talkElapsed: readonly number[];
  /** Seconds since each WRAP agent started wrap-up. */
  wrapElapsed: readonly number[];
  /** Calls ringing, not yet answered. */
  callsRinging: number;
  /**
   * Seconds each ringing call has rung so far. The per-agent and per-call lists may be
   * computed on first read: policies that need only the counts should not touch them.
   */
  ringingElapsed: readonly number[];
  /** Answered calls waiting for an agent (after AMD, if any). */
  callsWaiting: number;
  /** Answered calls whose AMD decision is still pending. */
  callsInAmd: number;
  /** Calls in progress: ringing + in AMD + waiting + connected. */
  callsInProgress: number;
}

/** Outcomes the dialer reports to its policy as they happen. */
export type PacingEvent =
  | { type: 'dial'; t: number }
  /** A person (`human`) or a machine answered after `ringS` seconds of ringing. */
  | { type: 'answer'; t: number; human: boolean; ringS: number }
  | { type: 'no_answer'; t: number; ringS: number }
  /** An answered person reached an agent after waiting `waitS` seconds. */
  | { type: 'connect'; t: number; waitS: number }
  /** An answered person got no agent in time (FTC/Ofcom abandoned call). */
  | { type: 'abandon'; t: number }
  /** AMD took a person for a machine and the line was dropped (Ofcom counts it as abandoned). */
  | { type: 'amd_drop'; t: number }
  /** AMD's verdict on an answered call: `machine` calls are released, the others go to an agent. */
  | { type: 'amd_verdict'; t: number; machine: boolean }
  /**
   * An agent was given a machine (no AMD, or an AMD miss) and said so — in the live dialer the
   * agent's "answering machine" disposition — after `talkS` seconds on it.
   */
  | { type: 'machine_reached_agent'; t: number; talkS: number }
  | { type: 'talk_end'; t: number; talkS: number }
  | { type: 'wrap_end'; t: number; wrapS: number };

export interface PacingDecision {
  /** Calls to place now. */
  dials: number;
  /** Ask to be consulted again after this many seconds (open-loop policies); default: the policy's tick. */
  nextDecisionIn?: number;
}

/** Why the dialer is doing what it does, for the supervisor's screen. */
export interface PacingStatus {
  mode: 'preview' | 'progressive' | 'power' | 'predictive' | 'adaptive' | 'open_loop' | 'ivr';
  /** Lines per active agent the policy is aiming at, where that applies. */
  level: number;
  reason: string;
}

/** Fixed facts about the campaign the dialer itself sets (not measured): the policy may use them. */
export interface DialerSettings {
  /** How long an unanswered call rings before release, s. */
  noAnswerTimeoutS: number;
  /** A person's greeting before the 2-second clock starts, s. */
  greetingS: number;
  /** The 2-second rule: connect within this many seconds after the greeting. */
  connectWithinS: number;
  /** AMD decision time when AMD is on, else 0. */
  amdDecisionS: number;
  /** Abandon-rate target as a fraction of person-answered calls (0.03). */
  maxAbandonRate: number;
}

export interface PacingPolicy {
  readonly name: string;
  /** Seconds between periodic decisions. */
  readonly tickS: number;
  /** Also decide whenever an agent becomes ready (closed-loop agent-bound modes). */
  readonly onAgentReady: boolean;
  observe(e: PacingEvent): void;
  decide(s: PacingSnapshot, random: () => number): PacingDecision;
  status(): PacingStatus;
}
