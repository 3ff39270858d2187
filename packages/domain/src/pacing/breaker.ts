import type { GovernedMode } from './governor.ts';

/**
 * The circuit breaker: conditions under which a campaign must stop dialing altogether and wait
 * for a person, because going on would harm the people called or waste the list — not merely
 * dial slower (that is the safety governor's job). Pure.
 *
 * - `carrier_failures`: most recent calls fail at the network (trunk down, a list of bad
 *   numbers, a caller ID the carrier rejects). Dialing on burns contacts' attempts for nothing.
 * - `abandon_limit`: calls are still abandoned above the limit in the last hour although the
 *   safety governor has already stepped down from predictive (progressive and preview dial only
 *   for an agent who is waiting). Then agents are vanishing or something is misconfigured, and
 *   no dial mode is safe until someone looks.
 */
export interface BreakerLimits {
  /** Ended calls needed before the failure rate is judged. */
  minEnded: number;
  /** Fraction of recent ended calls that failed at the network, at or above which the breaker trips. */
  maxFailureRate: number;
  /** Person-answered calls in the hour needed before its abandon rate is judged. */
  minAnswered: number;
  /** The campaign's abandon limit (fraction of person-answered calls). */
  maxAbandonRate: number;
}

export function defaultBreakerLimits(maxAbandonRate: number): BreakerLimits {
  return { minEnded: 50, maxFailureRate: 0.5, minAnswered: 30, maxAbandonRate };
}

export interface BreakerInput {
  /** Calls ended recently (e.g. the last 5 minutes) and how many of them failed at the network. */
  recent: { ended: number; failed: number };
  /** Person answers and abandons in the last hour. */
  hour: { answered: number; abandoned: number };
  /** The dial mode the governor has the campaign in now. */
  mode: GovernedMode;
}

export type BreakerTrip = { reason: 'carrier_failures' | 'abandon_limit'; detail: string };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function checkBreaker(input: BreakerInput, limits: BreakerLimits): BreakerTrip | null {
  const { recent, hour } = input;
  if (recent.ended >= limits.minEnded && recent.failed / recent.ended >= limits.maxFailureRate) {
    return {
      reason: 'carrier_failures',
      detail: `${recent.failed} of the last ${recent.ended} calls failed at the network (${pct(recent.failed / recent.ended)} ≥ ${pct(limits.maxFailureRate)})`,
    };
  }
  if (
    input.mode !== 'predictive' &&
    hour.answered >= limits.minAnswered &&
    hour.abandoned / hour.answered > limits.maxAbandonRate
  ) {
    return {
      reason: 'abandon_limit',
      detail: `abandon rate in the last hour ${pct(hour.abandoned / hour.answered)} > limit ${pct(limits.maxAbandonRate)} (${hour.abandoned} of ${hour.answered}) even in ${input.mode} mode`,
    };
  }
  return null;
}
