import { SortedWindow, upperBound } from './stats.ts';

/**
 * Online estimators for predictive pacing (ADR 0018). Pure: time arrives as arguments.
 *
 * Why not a running average of outcomes as they arrive: answers come after a ring of ~8 s,
 * no-answers only at the timeout (20–30 s). Right after a burst of dials the answers are in
 * and the no-answers are not, so an average in arrival order swings high, then collapses when
 * the no-answers land — and a policy that believes the collapse places another burst. These
 * estimators attribute every outcome to the moment its call was *dialed* and count a call still
 * ringing only by the chance it would have been answered by now (censoring), so the estimate
 * does not depend on the order outcomes arrive in. Every estimate carries its uncertainty.
 */

/** Seconds of on-shift time: gaps between decisions (nights, pauses) count at most this much. */
const MAX_GAP_S = 10;
/** A gap this long (no decision, no dial) makes the estimate stale… */
const STALE_GAP_S = 900;
/** …and keeps at most this many trials of evidence. */
const STALE_KEEP = 100;

interface Bin {
  /** Dial time of the bin (start of its second). */
  t: number;
  dials: number;
  answers: number;
  /** Ring-to-answer of each answer, handed on when the bin is complete. */
  rings: number[];
}

/**
 * The probability that a dial is answered (by anyone), estimated by dial time with censoring.
 *
 * Dials younger than the no-answer timeout are kept in one-second bins by dial time; a bin of
 * age a contributes F(a) of a trial per dial, F the ring-to-answer distribution of answered
 * calls (the chance an answer would already have come), and its answers so far. Older bins are
 * folded into exponentially decayed sums (two time constants: a fast one to notice a sudden
 * change, a slow one for precision). Decay runs on on-shift time only, so a night does not
 * erase what was learned. Estimates are Beta posteriors (a weak prior) with their variance.
 */
export class AnswerRateByDialTime {
  private young: Bin[] = [];
  private readonly slow = { n: 0, a: 0 };
  private readonly fast = { n: 0, a: 0 };
  private clock = 0;
  private lastT: number | null = null;
  private firstDialT: number | null = null;
  /** Answers of calls whose every outcome is in (their bin folded), since the start: never decayed. */
  private completeAnswers = 0;

  constructor(
    private readonly timeoutS: number,
    private readonly prior: number,
    private readonly priorWeight = 4,
    private readonly slowS = 600,
    private readonly fastS = 90,
    /**
     * Receives each answer's ring-to-answer once every call dialed in its second has its outcome:
     * a window of ring times fed as answers arrive is biased short right after a burst (the quick
     * answers are in, the slow ones not yet), which biases this very estimate through `ringCdf`.
     */
    private readonly onCompleteRing: (ringS: number) => void = () => undefined,
  ) {}

  /** Advances the decay clock to `t` (call before reading, with the decision's time). */
  private advance(t: number): void {
    if (this.lastT === null) {
      this.lastT = t;
      return;
    }
    const gap = Math.max(0, t - this.lastT);
    const dt = Math.min(MAX_GAP_S, gap);
    this.lastT = Math.max(this.lastT, t);
    if (gap >= STALE_GAP_S) {
      // After a pause (a night, a break of the campaign) the rate is remembered but no longer sure:
      // the next shift may open at another rate (answer rates differ by hour). Keep the point
      // estimates, shrink the evidence, so the first decisions of the day are cautious and a few
      // minutes of fresh outcomes take over.
      for (const e of [this.slow, this.fast]) {
        const keep = Math.min(1, STALE_KEEP / Math.max(e.n, 1e-9));
        e.n *= keep;
        e.a *= keep;
      }
    }
    if (dt === 0) return;
    this.clock += dt;
    const ks = Math.exp(-dt / this.slowS);
    const kf = Math.exp(-dt / this.fastS);
    this.slow.n *= ks;
    this.slow.a *= ks;
    this.fast.n *= kf;
    this.fast.a *= kf;
  }

  private fold(t: number): void {
    // A bin older than the timeout (+1 s of rounding) has all its outcomes in.
    let k = 0;
    while (k < this.young.length && t - this.young[k]!.t >= this.timeoutS + 1) {
      const b = this.young[k]!;
      this.completeAnswers += b.answers;
      for (const r of b.rings) this.onCompleteRing(r);
      this.slow.n += b.dials;
      this.slow.a += b.answers;
      this.fast.n += b.dials;
      this.fast.a += b.answers;
      k++;
    }
    if (k) this.young = this.young.slice(k);
  }

  dial(t: number, count = 1): void {
    this.firstDialT ??= t;
    this.advance(t);
    this.fold(t);
    const bt = Math.floor(t);
    const last = this.young.at(-1);
    if (last && last.t === bt) last.dials += count;
    else this.young.push({ t: bt, dials: count, answers: 0, rings: [] });
  }

  /** An answer at `t` after `ringS` of ringing: counted for the second it was dialed in. */
  answer(t: number, ringS: number): void {
    this.advance(t);
    const bt = Math.floor(t - ringS + 1e-9);
    // Bins are few (one per second of the timeout): a scan from the end is cheap.
    for (let i = this.young.length - 1; i >= 0; i--) {
      const b = this.young[i]!;
      if (b.t === bt) {
        b.answers++;
        b.rings.push(ringS);
        return;
      }
      if (b.t < bt) break;
    }
    // Dialed before the policy saw it (or folded already): count it in the decayed sums.
    this.onCompleteRing(ringS);
    this.slow.a++;
    this.slow.n++;
    this.fast.a++;
    this.fast.n++;
  }

  /**
   * Whether the estimate rests on complete outcomes: a full no-answer timeout has passed since the
   * first dial, and at least `minAnswers` answers of calls whose every outcome is in were seen.
   * Before that, the ring-to-answer distribution used for censoring is itself censored (only the
   * quick answers have come back), so the rate reads low — by a third in a 401-agent scenario,
   * whose first burst then abandoned 260 people in ten seconds.
   */
  settled(t: number, minAnswers: number): boolean {
    this.fold(t);
    return this.firstDialT !== null && t - this.firstDialT >= this.timeoutS + 1 && this.completeAnswers >= minAnswers;
  }

  /**
   * The estimates at `t`: point and standard deviation of the slow and fast estimators.
   * `ringCdf(a)`: P(answered within a seconds | answered).
   */
  estimate(t: number, ringCdf: (ageS: number) => number): RateEstimate {
    this.advance(t);
    this.fold(t);
    let n = 0;
    let a = 0;
    for (const b of this.young) {
      n += b.dials * Math.min(1, ringCdf(t - b.t - 0.5));
      a += b.answers;
    }
    const post = (sn: number, sa: number) => {
      const w = sn + n + this.priorWeight;
      const p = (sa + a + this.prior * this.priorWeight) / w;
      return { p, sd: Math.sqrt((p * (1 - p)) / (w + 1)), n: sn + n };
    };
    return { slow: post(this.slow.n, this.slow.a), fast: post(this.fast.n, this.fast.a) };
  }
}

export interface RateEstimate {
  slow: { p: number; sd: number; n: number };
  fast: { p: number; sd: number; n: number };
}

/**
 * The rate the pacing should plan with: the slow estimate, unless the fast one is significantly
 * higher (a sudden rise of the answer rate — the dangerous direction: more answers than planned
 * means abandons); then the fast one's lower bound. Returns the rate and its standard deviation.
 */
export function planningRate(e: RateEstimate, z = 1.5): { p: number; sd: number } {
  const fastLow = e.fast.p - z * e.fast.sd;
  if (fastLow > e.slow.p) return { p: e.fast.p, sd: e.fast.sd };
  return { p: e.slow.p, sd: e.slow.sd };
}

/** A decayed yes/no share with a prior (for AMD verdicts, machines at agents). Decays per event. */
export class DecayedShare {
  private yes = 0;
  private n = 0;
  constructor(
    private readonly prior: number,
    private readonly priorWeight = 5,
    private readonly memory = 500,
  ) {}
  add(yes: boolean): void {
    const k = 1 - 1 / this.memory;
    this.yes = this.yes * k + (yes ? 1 : 0);
    this.n = this.n * k + 1;
  }
  get share(): number {
    return (this.yes + this.prior * this.priorWeight) / (this.n + this.priorWeight);
  }
  get count(): number {
    return this.n;
  }
}

/**
 * How soon an agent busy for `e` seconds frees up, from a window of completed durations, with a
 * heavy-tail-aware extrapolation: where fewer than `minTail` samples lasted longer than `e`, the
 * empirical conditional is unreliable (and past the longest sample it would say "frees at once");
 * there the remaining time is taken to grow with the time already spent, as in a Pareto tail of
 * index `alpha`: P(ends within h | lasted e) = 1 − (e / (e + h))^alpha, never more than the
 * empirical value where the tail starts.
 */
export class DurationModel {
  readonly window: SortedWindow;
  constructor(
    size: number,
    private readonly minTail = 20,
    private readonly alpha = 1.5,
  ) {
    this.window = new SortedWindow(size);
  }
  add(x: number): void {
    this.window.add(x);
  }
  get count(): number {
    return this.window.count;
  }
  get mean(): number {
    return this.window.mean;
  }
  /**
   * The curve with the durations still running counted as censored observations (Kaplan–Meier).
   * Completed durations alone arrive shortest first: minutes after a start every agent is still on
   * a call and the window holds only the calls that ended quickly, which would have the policy
   * believe the team frees up soon. A call that has run `e` seconds says the duration exceeds `e`.
   */
  withRunning(running: readonly number[]): DurationCurve {
    const done = this.window.values;
    const cens = [...running].sort((a, b) => a - b);
    const times = new Float64Array(done.length);
    const surv = new Float64Array(done.length);
    let s = 1;
    let c = 0; // censored durations shorter than the current time (no longer at risk)
    let tailStart = 0;
    for (let i = 0; i < done.length; i++) {
      const d = done[i]!;
      while (c < cens.length && cens[c]! < d) c++;
      const atRisk = done.length - i + (cens.length - c);
      s *= 1 - 1 / atRisk;
      times[i] = d;
      surv[i] = s;
      if (atRisk > this.minTail) tailStart = d;
    }
    return new DurationCurve(times, surv, tailStart, this.alpha);
  }

  /** P(lasts more than e). */
  survival(e: number): number {
    const n = this.window.count;
    return n ? (n - this.window.upperBound(e)) / n : 1;
  }
  /** Where the tail extrapolation starts: the duration exceeded by `minTail` samples. */
  tailStart(): number {
    const n = this.window.count;
    if (n <= this.minTail) return 0;
    return this.window.quantile((n - this.minTail - 1) / n);
  }
  /** P(ends within h more | lasted e). */
  endsWithin(e: number, h: number): number {
    if (h <= 0) return 0;
    const n = this.window.count;
    if (n === 0) return 0;
    const t0 = this.tailStart();
    if (e < t0) return this.window.endsWithin(e, h);
    const pareto = (x: number) => 1 - Math.pow(Math.max(x, 1e-6) / (Math.max(x, 1e-6) + h), this.alpha);
    const anchor = t0 > 0 ? this.window.endsWithin(t0, h) : 1;
    return Math.min(anchor, pareto(Math.max(e, t0)));
  }
}

/**
 * A survival curve (steps at the completed durations) with the Pareto tail of `DurationModel`
 * past `tailStart`, where too few durations remain at risk for the empirical curve to say much.
 */
export class DurationCurve {
  constructor(
    private readonly times: Float64Array,
    private readonly surv: Float64Array,
    private readonly tailStart: number,
    private readonly alpha: number,
  ) {}
  get count(): number {
    return this.times.length;
  }
  /** P(lasts more than e). */
  survival(e: number): number {
    const k = upperBound(this.times, e);
    return k === 0 ? 1 : this.surv[k - 1]!;
  }
  private empirical(e: number, h: number): number {
    const se = this.survival(e);
    if (se <= 0) return 1;
    return 1 - this.survival(e + h) / se;
  }
  /** P(ends within h more | lasted e). */
  endsWithin(e: number, h: number): number {
    if (h <= 0 || this.times.length === 0) return 0;
    const t0 = this.tailStart;
    if (e < t0) return this.empirical(e, h);
    const pareto = (x: number) => 1 - Math.pow(Math.max(x, 1e-6) / (Math.max(x, 1e-6) + h), this.alpha);
    const anchor = t0 > 0 ? this.empirical(t0, h) : 1;
    return Math.min(anchor, pareto(Math.max(e, t0)));
  }
}
