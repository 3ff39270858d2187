import type { ProjectRules } from '../projects/types.ts';
import type { AttemptOutcome, AttemptRecord } from './attempts.ts';

const DAY_MS = 86_400_000;

/** What the agent recorded, if the call reached one (落单). */
export interface DispositionEffect {
  code: string;
  success: boolean;
  closes: boolean;
  /** A callback the agent booked, ms since epoch. */
  callbackAt: number | null;
  /** The code's own retry delay (minutes), replacing the outcome's. */
  retryAfterMinutes?: number | null | undefined;
}

export type CloseReason = 'max_attempts' | 'success' | 'disposition';

/** The contact's next step after an attempt ended; written with the attempt's outcome. */
export type NextStep =
  { kind: 'closed'; reason: CloseReason } | { kind: 'callback'; at: number } | { kind: 'retry'; at: number };

/**
 * The contact's next step when an attempt ends, from the project's rules — pure, so the live
 * dialer, the crash recovery and the tests agree. `attempts` is the contact's whole history
 * *including* the attempt that just ended (`ended`). The retry time is never earlier than what
 * the compliance gate would allow (`checkDial` holds the same delays), which the property test
 * checks; the gate stays the authority at dial time.
 */
export function nextStep(
  rules: ProjectRules,
  attempts: readonly AttemptRecord[],
  ended: { placedAt: number; outcome: AttemptOutcome; endedAt: number },
  disposition: DispositionEffect | null,
): NextStep {
  if (disposition?.closes) return { kind: 'closed', reason: 'disposition' };
  if (disposition?.success && rules.closing.closeOnSuccess) return { kind: 'closed', reason: 'success' };

  // "At most N attempts in a rolling D days, then close whatever the result."
  const windowStart = ended.endedAt - rules.closing.windowDays * DAY_MS;
  const inWindow = attempts.filter((a) => a.placedAt > windowStart && a.placedAt <= ended.endedAt).length;
  if (inWindow >= rules.closing.maxAttempts) return { kind: 'closed', reason: 'max_attempts' };

  if (disposition?.callbackAt != null) return { kind: 'callback', at: Math.max(disposition.callbackAt, ended.endedAt) };

  const d = rules.retryDelaysMinutes;
  const delayMin: Record<AttemptOutcome, number> = {
    busy: d.busy,
    no_answer: d.noAnswer,
    machine: d.machine,
    failed: d.failed,
    abandoned: d.abandoned, // Ofcom: no repeat within 72 h (default) after an abandoned call
    person: d.noAnswer, // reached, not closed and no callback booked: try again like a no-answer
    cancelled: 0, // withdrawn before anyone answered: nothing happened to the callee
  };
  let at =
    disposition?.retryAfterMinutes != null
      ? ended.endedAt + disposition.retryAfterMinutes * 60_000
      : Math.max(ended.endedAt, ended.placedAt + delayMin[ended.outcome] * 60_000);
  // An earlier abandoned call still inside its cool-down keeps the contact waiting too.
  for (const a of attempts) {
    if (a.outcome === 'abandoned') at = Math.max(at, a.placedAt + d.abandoned * 60_000);
  }
  return { kind: 'retry', at };
}
