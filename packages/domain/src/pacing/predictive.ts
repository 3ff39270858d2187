import { EwmaRate, SortedWindow, normalCdf } from './stats.ts';
import type {
  DialerSettings,
  PacingDecision,
  PacingEvent,
  PacingPolicy,
  PacingSnapshot,
  PacingStatus,
} from './types.ts';

/**
 * Outdial's predictive pacing (ADR 0005).
 *
 * Every decision it forecasts, for a horizon H ≈ ring-to-answer + AMD + greeting + 2 s:
 *   supply  Y = ready agents + Σ over busy agents P(frees within H | time already spent),
 *   demand  X = waiting calls + Σ over ringing calls P(a person answers | rung so far)
 *             + n · p_human for n new dials,
 * with every probability estimated online from this campaign's own outcomes (answer rates
 * by EWMA, ring, talk and wrap times from sliding windows) — never read from configuration.
 * Treating X − Y as normal, the n-th new call is placed only while the chance that it finds
 * no agent, Φ((μ + ½)/σ) with the continuity correction, stays below τ.
 *
 * τ is set by a slow controller that steers the campaign's abandon rate (over its whole
 * measuring period, FTC 30 days) toward a target below the legal limit; a hard guard drops
 * to progressive dialing — which cannot abandon — whenever the period's abandons get
 * close to the limit, and the mode, level and reason are always reported.
 */
export interface PredictiveOptions {
  /** Abandon rate the controller aims at, as a share of the limit (default 0.8 → 2.4% of 3%). */
  aimShareOfLimit?: number;
  /** Keep at least this many abandons of headroom under the limit before the guard trips. */
  guardHeadroom?: number;
  /** Seconds between decisions. */
  tickS?: number;
}

/** Grid steps of the probability tables, s. */
const TALK_STEP_S = 1;
const WRAP_STEP_S = 0.5;
const RING_STEP_S = 0.1;

const PRIOR_HUMAN = 0.2;
const PRIOR_MACHINE = 0.05;

export class PredictivePolicy implements PacingPolicy {
  readonly name = 'predictive';
  readonly tickS: number;
  readonly onAgentReady = true;

  private readonly human = new EwmaRate(PRIOR_HUMAN, 1 / 400);
  private readonly machine = new EwmaRate(PRIOR_MACHINE, 1 / 400);
  private readonly ring = new SortedWindow(300);
  private readonly talk = new SortedWindow(400);
  private readonly wrap = new SortedWindow(200);
  /** Marginal abandon probability allowed for the next call. */
  private tau = 0.05;
  private humans = 0;
  private abandons = 0;
  private lastControl = 0;
  private recentHumans = 0;
  private recentAbandons = 0;
  private guarded = false;
  private reason = 'warming up: dialing progressively until estimates settle';
  private lastLevel = 1;
  private readonly aim: number;
  private readonly headroom: number;
  private talkTable?: Float64Array;
  private wrapTable?: Float64Array;
  private ringTable?: Float64Array;
  private tablesH = 0;
  private last = { pH: 0, H: 0 };
  private samplesSinceTables = 0;

  constructor(
    private readonly settings: DialerSettings,
    opts: PredictiveOptions = {},
  ) {
    this.tickS = opts.tickS ?? 1;
    this.aim = settings.maxAbandonRate * (opts.aimShareOfLimit ?? 0.8);
    this.headroom = opts.guardHeadroom ?? 3;
  }

  observe(e: PacingEvent): void {
    switch (e.type) {
      case 'answer':
        this.human.add(e.human);
        this.machine.add(!e.human);
        this.ring.add(e.ringS);
        this.samplesSinceTables++;
        if (e.human) {
          this.humans++;
          this.recentHumans++;
        }
        break;
      case 'no_answer':
        this.human.add(false);
        this.machine.add(false);
        break;
      case 'abandon':
        this.abandons++;
        this.recentAbandons++;
        break;
      case 'talk_end':
        this.talk.add(e.talkS);
        this.samplesSinceTables++;
        break;
      case 'wrap_end':
        this.wrap.add(e.wrapS);
        this.samplesSinceTables++;
        break;
      default:
        break;
    }
  }

  /** Abandons the period can still afford before crossing the limit. */
  private budget(): number {
    return this.settings.maxAbandonRate * this.humans - this.abandons;
  }

  private control(now: number): void {
    if (now - this.lastControl < 60) return;
    this.lastControl = now;
    // Period rate with a pseudo-count so the first minutes do not swing it wildly.
    const period = (this.abandons + this.aim * 50) / (this.humans + 50);
    const recent = this.recentHumans > 0 ? this.recentAbandons / this.recentHumans : this.aim;
    const seen = (period + recent) / 2;
    this.tau = Math.min(0.6, Math.max(0.002, this.tau * Math.exp((0.25 * (this.aim - seen)) / this.aim)));
    this.recentHumans *= 0.5;
    this.recentAbandons *= 0.5;
  }

  decide(s: PacingSnapshot): PacingDecision {
    this.control(s.now);
    const inFlight = s.callsRinging + s.callsInAmd + s.callsWaiting;
    const progressive = Math.max(0, s.agentsReady - inFlight);
    if (this.talk.count < 20 || this.ring.count < 20) {
      this.reason = 'warming up: dialing progressively until estimates settle';
      this.lastLevel = 1;
      return { dials: progressive };
    }
    // Guard: never let the period's abandons come within `headroom` of the limit.
    if (this.budget() < this.headroom) {
      if (!this.guarded) this.guarded = true;
      this.reason = `abandon budget nearly spent (${this.abandons} of ${(this.settings.maxAbandonRate * this.humans).toFixed(1)} allowed): progressive until it recovers`;
      this.lastLevel = 1;
      return { dials: progressive };
    }
    // Hysteresis: leave the guard only with twice the headroom.
    if (this.guarded && this.budget() < 2 * this.headroom) {
      this.reason = 'recovering abandon budget: progressive';
      return { dials: progressive };
    }
    this.guarded = false;

    const pH = Math.max(0.005, this.human.rate);
    const pM = Math.max(0, this.machine.rate);
    const medianRing = this.ring.quantile(0.5);
    const H = medianRing + this.settings.amdDecisionS + this.settings.greetingS + this.settings.connectWithinS;
    const wrapMean = this.wrap.count ? this.wrap.mean : 0;

    this.refreshTables(H, wrapMean);
    // Supply within H: ready agents, plus each busy agent by how long they have been busy.
    let mu = -s.agentsReady;
    let v = 0;
    const talkT = this.talkTable!;
    for (const e of s.talkElapsed) {
      const q = talkT[Math.min(talkT.length - 1, Math.floor(e / TALK_STEP_S))]!;
      mu -= q;
      v += q * (1 - q);
    }
    const wrapT = this.wrapTable!;
    for (const w of s.wrapElapsed) {
      const q = wrapT.length ? wrapT[Math.min(wrapT.length - 1, Math.floor(w / WRAP_STEP_S))]! : 1;
      mu -= q;
      v += q * (1 - q);
    }
    // Demand: calls already answered, then ringing calls by how long they have rung.
    mu += s.callsWaiting + s.callsInAmd * (pH / Math.max(pH + pM, 1e-9));
    const ringT = this.ringTable!;
    for (const r of s.ringingElapsed) {
      const notYet = ringT[Math.min(ringT.length - 1, Math.floor(r / RING_STEP_S))]!;
      const q = (pH * notYet) / Math.max(1e-9, 1 - (pH + pM) * (1 - notYet));
      mu += q;
      v += q * (1 - q);
    }
    // The largest n whose n-th call still finds an agent with probability ≥ 1 − τ:
    // Φ((μ + n·p + ½)/√(v + n·p(1−p))) ≤ τ. The left side grows with n, so bisect.
    let n = 0;
    if (this.fits(1, mu, v, pH)) {
      let lo = 1;
      let hi = Math.max(2, Math.ceil((s.agentsActive * 4) / pH));
      if (this.fits(hi, mu, v, pH)) lo = hi;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (this.fits(mid, mu, v, pH)) lo = mid;
        else hi = mid;
      }
      n = lo;
    }
    // Never fewer calls than progressive would place: idle agents are the costliest waste.
    const dials = Math.max(n, progressive);
    this.lastLevel = s.agentsActive ? (s.callsInProgress + dials) / s.agentsActive : 0;
    // The reason is worded only when someone asks (status()): decisions are frequent.
    this.reason = '';
    this.last = { pH, H };
    return { dials };
  }

  /** Whether the k-th new call still finds an agent with probability ≥ 1 − τ. */
  private fits(k: number, mu: number, v: number, p: number): boolean {
    return normalCdf((mu + k * p + 0.5) / Math.sqrt(Math.max(v + k * p * (1 - p), 0.25))) <= this.tau;
  }

  /**
   * The conditional probabilities depend on elapsed time only through the sliding windows,
   * which change slowly: tabulate them on a grid and rebuild after enough new samples, so a
   * decision costs a lookup per agent and per call, not a search.
   */
  private refreshTables(H: number, wrapMean: number): void {
    // Early on every sample matters; once the windows are full they move slowly.
    const every = this.talk.count < 200 ? 20 : 150;
    const stale = !this.talkTable || this.samplesSinceTables >= every || Math.abs(H - this.tablesH) > 1;
    if (!stale) return;
    this.samplesSinceTables = 0;
    this.tablesH = H;
    const talkMax = this.talk.quantile(1) + TALK_STEP_S;
    this.talkTable = new Float64Array(Math.min(20_000, Math.ceil(talkMax / TALK_STEP_S) + 1));
    for (let i = 0; i < this.talkTable.length; i++)
      this.talkTable[i] = this.talk.endsWithin(i * TALK_STEP_S, Math.max(0, H - wrapMean));
    const wrapMax = this.wrap.count ? this.wrap.quantile(1) + WRAP_STEP_S : 0;
    this.wrapTable = new Float64Array(this.wrap.count ? Math.min(20_000, Math.ceil(wrapMax / WRAP_STEP_S) + 1) : 0);
    for (let i = 0; i < this.wrapTable.length; i++) this.wrapTable[i] = this.wrap.endsWithin(i * WRAP_STEP_S, H);
    const ringMax = Math.max(this.settings.noAnswerTimeoutS, this.ring.quantile(1)) + RING_STEP_S;
    this.ringTable = new Float64Array(Math.ceil(ringMax / RING_STEP_S) + 1);
    for (let i = 0; i < this.ringTable.length; i++) this.ringTable[i] = 1 - this.ring.cdf(i * RING_STEP_S);
  }

  status(): PacingStatus {
    if (this.reason === '')
      this.reason = `predictive: p(person)=${this.last.pH.toFixed(3)}, horizon ${this.last.H.toFixed(1)} s, marginal abandon ≤ ${(this.tau * 100).toFixed(1)}%`;
    return {
      mode: this.guarded || this.talk.count < 20 ? 'progressive' : 'predictive',
      level: this.lastLevel,
      reason: this.reason,
    };
  }
}
