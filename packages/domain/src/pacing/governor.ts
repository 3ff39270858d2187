/**
 * The safety governor: steps a campaign predictive → progressive → preview when a measure
 * breaches its limit, and back up one level at a time once the measures have been clean — with
 * margin (hysteresis) — for long enough. Every step is recorded with the measure that caused it,
 * for the supervisor's screen and the audit. Pure: the dialer feeds it measurements and time.
 *
 * Why these steps: in predictive mode the dialer places calls ahead of free agents, which is
 * what can abandon a callee; progressive dials only for an agent already waiting (no abandons
 * by construction), so an abandon or answer-rate breach steps down to progressive. Preview lets
 * each agent start their own call, so agents slow to take connected calls (the 2-second rule)
 * step down once more.
 */

export type GovernedMode = 'predictive' | 'progressive' | 'preview';
const ORDER: readonly GovernedMode[] = ['preview', 'progressive', 'predictive'];
const rank = (m: GovernedMode) => ORDER.indexOf(m);

export interface GovernorLimits {
  /** Abandoned / person-answered, in every window (rolling hour, today, 30 days). FTC/Ofcom: 0.03. */
  maxAbandonRate: number;
  /** Person-answered / dialed below this makes predictive estimates unreliable. */
  minAnswerRate: number;
  /** Seconds an answered callee waits for an agent (the dialer's p90); the 2-second rule. */
  maxConnectLatencyS: number;
  /** Person-answered calls (dials, for the answer rate) a window needs before it is judged. */
  minSample: number;
  /** Clean seconds before stepping back up one level. */
  recoverAfterS: number;
  /** To step up, every measure must be within this share of its limit (e.g. 0.67 of 3% = 2%). */
  hysteresis: number;
}

export const defaultGovernorLimits = (maxAbandonRate = 0.03): GovernorLimits => ({
  maxAbandonRate,
  // The predictive policy carries the uncertainty of its answer-rate estimate into each decision
  // (ADR 0018), so it paces campaigns down to the 2% person-answer rates real lists show; below
  // 1% answered there is too little to learn from and progressive is as good.
  minAnswerRate: 0.01,
  maxConnectLatencyS: 2,
  minSample: 30,
  recoverAfterS: 900,
  hysteresis: 0.67,
});

export interface RateWindow {
  abandoned: number;
  answered: number;
}

/** What the dialer measured, at time `t` (seconds). */
export interface GovernorInput {
  t: number;
  abandon: { hour: RateWindow; today: RateWindow; days30: RateWindow };
  /** Recent dials and person answers (e.g. the last hour). */
  answer: { dialed: number; answered: number };
  /** p90 of the wait between answer (after the greeting) and an agent, recent calls; null if none. */
  connectLatencyP90S: number | null;
}

export type GovernorReason = 'abandon_rate' | 'answer_rate' | 'connect_latency' | 'recovered';

export interface GovernorStep {
  t: number;
  from: GovernedMode;
  to: GovernedMode;
  reason: GovernorReason;
  /** Human-readable, with the measured value and the limit. */
  detail: string;
}

type Breach = { reason: Exclude<GovernorReason, 'recovered'>; detail: string; floor: GovernedMode };

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export class SafetyGovernor {
  private current: GovernedMode;
  private lastChange = Number.NEGATIVE_INFINITY;
  private cleanSince: number | null = null;
  private readonly steps: GovernorStep[] = [];

  constructor(
    private readonly configured: GovernedMode,
    private readonly limits: GovernorLimits,
  ) {
    this.current = configured;
  }

  get mode(): GovernedMode {
    return this.current;
  }

  /** Every step taken, oldest first. */
  get history(): readonly GovernorStep[] {
    return this.steps;
  }

  /** Why the campaign runs in the mode it does now. */
  explain(): string {
    const last = this.steps.at(-1);
    if (this.current === this.configured) return `${this.current}, as configured`;
    return `${this.current} instead of ${this.configured}: ${last?.detail ?? ''}`;
  }

  /** Takes a measurement; returns the step it caused, if any. */
  update(m: GovernorInput): GovernorStep | null {
    const breaches = this.breaches(m);
    if (breaches.length > 0) {
      this.cleanSince = null;
      // The most restrictive floor any breach asks for; never step *up* on a breach.
      const target = breaches.reduce((lo, b) => (rank(b.floor) < rank(lo.floor) ? b : lo));
      if (rank(target.floor) < rank(this.current)) return this.change(m.t, target.floor, target.reason, target.detail);
      return null;
    }
    if (this.current === this.configured) return null;
    if (!this.withMargin(m)) {
      this.cleanSince = null;
      return null;
    }
    this.cleanSince ??= m.t;
    if (m.t - this.cleanSince >= this.limits.recoverAfterS && m.t - this.lastChange >= this.limits.recoverAfterS) {
      const up = ORDER[rank(this.current) + 1]!;
      this.cleanSince = null;
      return this.change(
        m.t,
        up,
        'recovered',
        `measures within ${Math.round(this.limits.hysteresis * 100)}% of their limits for ${Math.round(this.limits.recoverAfterS / 60)} min`,
      );
    }
    return null;
  }

  private breaches(m: GovernorInput): Breach[] {
    const L = this.limits;
    const out: Breach[] = [];
    for (const [name, w] of [
      ['the last hour', m.abandon.hour],
      ['today', m.abandon.today],
      ['30 days', m.abandon.days30],
    ] as const) {
      if (w.answered >= L.minSample && w.abandoned / w.answered > L.maxAbandonRate) {
        out.push({
          reason: 'abandon_rate',
          floor: 'progressive',
          detail: `abandon rate ${pct(w.abandoned / w.answered)} over ${name} (limit ${pct(L.maxAbandonRate)})`,
        });
        break;
      }
    }
    if (m.answer.dialed >= L.minSample && m.answer.answered / m.answer.dialed < L.minAnswerRate) {
      out.push({
        reason: 'answer_rate',
        floor: 'progressive',
        detail: `answer rate ${pct(m.answer.answered / m.answer.dialed)} (minimum ${pct(L.minAnswerRate)})`,
      });
    }
    if (m.connectLatencyP90S !== null && m.connectLatencyP90S > L.maxConnectLatencyS) {
      // One level below wherever we are, so a persistent breach ends in preview.
      const floor = ORDER[Math.max(0, rank(this.current) - 1)]!;
      out.push({
        reason: 'connect_latency',
        floor,
        detail: `answered callees wait ${m.connectLatencyP90S.toFixed(1)} s for an agent (p90; limit ${L.maxConnectLatencyS} s)`,
      });
    }
    return out;
  }

  private withMargin(m: GovernorInput): boolean {
    const L = this.limits;
    const h = L.hysteresis;
    for (const w of [m.abandon.hour, m.abandon.today, m.abandon.days30]) {
      if (w.answered > 0 && w.abandoned / w.answered > L.maxAbandonRate * h) return false;
    }
    if (m.answer.dialed >= L.minSample && m.answer.answered / m.answer.dialed < L.minAnswerRate / h) return false;
    if (m.connectLatencyP90S !== null && m.connectLatencyP90S > L.maxConnectLatencyS * h) return false;
    return true;
  }

  private change(t: number, to: GovernedMode, reason: GovernorReason, detail: string): GovernorStep {
    const step: GovernorStep = { t, from: this.current, to, reason, detail };
    this.current = to;
    this.lastChange = t;
    this.steps.push(step);
    return step;
  }
}
