/**
 * An agent's working state, as the dialer and the supervisor see it. Pure: time comes in
 * as `at` (ms), and every change is returned, never performed. The live dialer keeps one
 * of these per logged-in agent; the WebSocket layer turns messages into events.
 *
 *   logged_out ─login→ paused(login) ─ready→ ready ─reserve→ reserved ─connect→ talking
 *        ↑                 ↑  ↓pause          ↑                  │release      │hangup
 *        └──logout/lost────┴──────────────────┴──── wrap_up ←────┴─────────────┘
 */
export type AgentStatus = 'logged_out' | 'ready' | 'reserved' | 'talking' | 'wrap_up' | 'paused';

export interface AgentState {
  status: AgentStatus;
  /** When the current status began (ms). */
  since: number;
  /** The call the agent is reserved for, talking on or wrapping up. */
  callId: string | null;
  /** Why the agent is paused (break, training, meeting, after-login…). */
  pauseReason: string | null;
  /** Last sign of life from the agent's client (ms). */
  lastSeen: number;
}

export type AgentEvent =
  | { type: 'login'; at: number }
  | { type: 'ready'; at: number }
  | { type: 'pause'; at: number; reason: string }
  | { type: 'reserve'; at: number; callId: string }
  /** The reserved call did not reach the agent (the customer hung up first). */
  | { type: 'release'; at: number; callId: string }
  | { type: 'connect'; at: number; callId: string }
  | { type: 'hangup'; at: number; callId: string }
  /** Wrap-up finished (disposition recorded): back to ready, or to a pause the agent asked for. */
  | { type: 'wrap_done'; at: number; callId: string; thenPause?: string }
  | { type: 'heartbeat'; at: number }
  | { type: 'logout'; at: number }
  /** The client vanished (no heartbeat): no more calls, whatever the state. */
  | { type: 'lost'; at: number };

export type AgentTransitionError =
  | 'not_logged_in'
  | 'already_logged_in'
  | 'busy_with_call' // may not pause/ready/logout while reserved or talking
  | 'not_ready' // only a ready agent can be reserved
  | 'wrong_call' // the event names another call than the agent's
  | 'not_reserved'
  | 'not_talking'
  | 'not_wrapping_up';

export type Transition =
  { ok: true; state: AgentState; changed: boolean } | { ok: false; error: AgentTransitionError; state: AgentState };

export const LOGGED_OUT: AgentState = { status: 'logged_out', since: 0, callId: null, pauseReason: null, lastSeen: 0 };

/** Pause reasons the platform uses itself; operators add their own (lunch, training, coaching…). */
export const PAUSE_AFTER_LOGIN = 'login';
export const PAUSE_CONNECTION_LOST = 'connection_lost';

const to = (s: AgentState, status: AgentStatus, at: number, patch: Partial<AgentState> = {}): Transition => ({
  ok: true,
  changed: true,
  state: { ...s, status, since: at, lastSeen: Math.max(s.lastSeen, at), callId: null, pauseReason: null, ...patch },
});
const fail = (s: AgentState, error: AgentTransitionError): Transition => ({ ok: false, error, state: s });

export function applyAgentEvent(s: AgentState, e: AgentEvent): Transition {
  if (e.type === 'heartbeat') {
    if (s.status === 'logged_out') return fail(s, 'not_logged_in');
    return { ok: true, changed: false, state: { ...s, lastSeen: Math.max(s.lastSeen, e.at) } };
  }
  if (e.type === 'login') {
    if (s.status !== 'logged_out') return fail(s, 'already_logged_in');
    // A fresh login starts paused: the agent says when they are ready.
    return to(s, 'paused', e.at, { pauseReason: PAUSE_AFTER_LOGIN, lastSeen: e.at });
  }
  if (s.status === 'logged_out') return fail(s, 'not_logged_in');
  const sameCall = (id: string) => s.callId === id;
  switch (e.type) {
    case 'ready':
      if (s.status === 'ready')
        return { ok: true, changed: false, state: { ...s, lastSeen: Math.max(s.lastSeen, e.at) } };
      if (s.status === 'reserved' || s.status === 'talking') return fail(s, 'busy_with_call');
      if (s.status === 'wrap_up') return fail(s, 'not_wrapping_up');
      return to(s, 'ready', e.at);
    case 'pause':
      if (s.status === 'reserved' || s.status === 'talking' || s.status === 'wrap_up') return fail(s, 'busy_with_call');
      return to(s, 'paused', e.at, { pauseReason: e.reason });
    case 'reserve':
      if (s.status !== 'ready') return fail(s, 'not_ready');
      return to(s, 'reserved', e.at, { callId: e.callId });
    case 'release':
      if (s.status !== 'reserved') return fail(s, 'not_reserved');
      if (!sameCall(e.callId)) return fail(s, 'wrong_call');
      return to(s, 'ready', e.at);
    case 'connect':
      if (s.status !== 'reserved') return fail(s, 'not_reserved');
      if (!sameCall(e.callId)) return fail(s, 'wrong_call');
      return to(s, 'talking', e.at, { callId: e.callId });
    case 'hangup':
      if (s.status !== 'talking') return fail(s, 'not_talking');
      if (!sameCall(e.callId)) return fail(s, 'wrong_call');
      return to(s, 'wrap_up', e.at, { callId: e.callId });
    case 'wrap_done':
      if (s.status !== 'wrap_up') return fail(s, 'not_wrapping_up');
      if (!sameCall(e.callId)) return fail(s, 'wrong_call');
      return e.thenPause ? to(s, 'paused', e.at, { pauseReason: e.thenPause }) : to(s, 'ready', e.at);
    case 'logout':
      if (s.status === 'reserved' || s.status === 'talking') return fail(s, 'busy_with_call');
      return to(s, 'logged_out', e.at);
    case 'lost':
      // A vanished client never gets another call. A live call stays the agent's (the phone
      // may still be up) and ends through telephony; otherwise the agent is paused.
      if (s.status === 'talking' || s.status === 'wrap_up') return { ok: true, changed: false, state: s };
      return to(s, 'paused', e.at, { pauseReason: PAUSE_CONNECTION_LOST });
  }
}

/** True when the dialer may give this agent a call. */
export function isAvailable(s: AgentState): boolean {
  return s.status === 'ready';
}

/** Agents whose last sign of life is older than `timeoutMs` at `now`. */
export function isStale(s: AgentState, now: number, timeoutMs: number): boolean {
  return s.status !== 'logged_out' && now - s.lastSeen > timeoutMs;
}
