import { AnswerRateByDialTime, DecayedShare, DurationModel, planningRate } from './estimators.ts';
import { SortedWindow, normalCdf } from './stats.ts';
import type {
  DialerSettings,
  PacingDecision,
  PacingEvent,
  PacingPolicy,
  PacingSnapshot,
  PacingStatus,
} from './types.ts';

/**
 * Outdial's predictive pacing (ADR 0005, redesigned in ADR 0018).
 *
 * Every decision it forecasts, for a horizon H ≈ ring-to-answer + AMD + greeting + 2 s:
 *   supply  Y = ready agents + Σ over busy agents P(frees within H | time already spent),
 *   demand  X = waiting calls + Σ over ringing calls P(reaches an agent | rung so far)
 *             + n · r for n new dials,
 * where r is the share of dials that reach an agent: answered (estimated by dial time, censoring
 * the calls still ringing), passed by AMD (its verdicts) — people, and machines that reach an
 * agent (AMD off, or its misses), which hold an agent for a short while as the agents'
 * "answering machine" reports tell. Treating X − Y as normal, with the variance of r's estimate
 * counted for all n new calls together (so a noisy estimate cannot justify a large batch), the
 * n-th call is placed only while the chance that it finds no agent stays below τ.
 *
 * τ is steered by a slow integral controller: every minute of dialing it moves by the period's
 * abandons against the aim (counts, so a small team's single abandon moves it by a bounded
 * step), and it is frozen while the guard overrides it (no wind-up). The guard keeps the period's
 * (FTC: 30 days) abandons a few calls under the limit by dialing progressively. How fast
 * dialing may ramp is limited per decision, so no estimate — nor leaving the guard — fires a burst.
 */
export interface PredictiveOptions {
  /** Abandon rate the controller aims at, as a share of the limit (default 0.8 → 2.4% of 3%). */
  aimShareOfLimit?: number;
  /** Keep at least this many abandons of headroom under the limit before the guard trips. */
  guardHeadroom?: number;
  /** Seconds between decisions. */
  tickS?: number;
  /**
   * People answered credited ahead at the start of a period, so its first abandon is not a crisis
   * (default 100: three abandons). The live dialer passes 0: its safety governor also judges the
   * trailing hour from 30 people on, where an early abandon would step the campaign down.
   */
  periodCredit?: number;
}

const TALK_STEP_S = 1;
const WRAP_STEP_S = 0.5;
const RING_STEP_S = 0.1;

const PRIOR_ANSWER = 0.25;
/** Answers with every outcome in before the first forecast (fewer for a small team: twice its size). */
const SETTLE_ANSWERS = 20;
/** Seconds of dialing between controller steps. */
const CONTROL_S = 60;
/** Integral gain: log τ moves by this × (aim·people − abandons) / (aim·max(people, 1/aim)). */
const GAIN = 0.35;
const TAU_MIN = 0.002;
const TAU_MAX = 0.5;
/** New dials per decision may add at most this share of the active agents in expected arrivals, beyond the ready ones. */
const RAMP_SHARE = 0.25;
/** Running calls and wraps age: the duration tables are rebuilt at least this often. */
const TABLES_MAX_AGE_S = 5;
/** A full forecast costs a pass over agents and ringing calls: at most one per this many seconds. */
const FULL_EVERY_S = 0.25;

export class PredictivePolicy implements PacingPolicy {
  readonly name = 'predictive';
  readonly tickS: number;
  readonly onAgentReady = true;

  private readonly answers: AnswerRateByDialTime;
  /** AMD verdicts: the share of answered calls passed on to an agent. */
  private readonly pass = new DecayedShare(0.5, 2, 400);
  /** Of the calls that reach an agent, the share that are machines (agents' "answering machine"). */
  private readonly machineAtAgent = new DecayedShare(0.1, 5, 400);
  private readonly ring = new SortedWindow(400);
  private readonly talk = new DurationModel(500);
  private readonly machineTalk = new DurationModel(100, 5);
  private readonly wrap = new DurationModel(200);
  /** Marginal abandon probability allowed for the next call (log scale inside the controller). */
  private tau = 0.03;
  private humans = 0;
  private abandons = 0;
  private stepHumans = 0;
  private stepAbandons = 0;
  private controlClock = 0;
  private lastDecideT: number | null = null;
  private guarded = false;
  private warming = true;
  private guardedThisStep = false;
  private reason = 'warming up: dialing progressively until estimates settle';
  private lastLevel = 1;
  private readonly aim: number;
  private readonly headroom: number;
  private readonly credit: number;
  private talkTable?: Float64Array;
  private wrapTable?: Float64Array;
  private ringTable?: Float64Array;
  private tablesH = 0;
  private tablesAt = Number.NEGATIVE_INFINITY;
  private samplesSinceTables = 0;
  private last = { r: 0, H: 0 };
  private lastFull = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: DialerSettings,
    opts: PredictiveOptions = {},
  ) {
    this.tickS = opts.tickS ?? 1;
    this.aim = settings.maxAbandonRate * (opts.aimShareOfLimit ?? 0.8);
    this.headroom = opts.guardHeadroom ?? 3;
    this.credit = opts.periodCredit ?? 100;
    this.answers = new AnswerRateByDialTime(settings.noAnswerTimeoutS, PRIOR_ANSWER, 4, 600, 90, (ringS) => {
      this.ring.add(ringS);
      this.samplesSinceTables++;
    });
  }

  observe(e: PacingEvent): void {
    switch (e.type) {
      case 'dial':
        this.answers.dial(e.t);
        break;
      case 'answer':
        // The ring window learns this answer when its dial second is complete (see the estimator).
        this.answers.answer(e.t, e.ringS);
        if (e.human) {
          this.humans++;
          this.stepHumans++;
        }
        break;
      case 'amd_verdict':
        this.pass.add(!e.machine);
        break;
      case 'connect':
        this.machineAtAgent.add(false);
        break;
      case 'machine_reached_agent':
        this.machineAtAgent.add(true);
        this.machineTalk.add(e.talkS);
        this.samplesSinceTables++;
        break;
      case 'abandon':
        this.abandons++;
        this.stepAbandons++;
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

  /** Abandons the period can still afford before crossing the limit (with a little credit up front). */
  private budget(): number {
    return this.settings.maxAbandonRate * (this.humans + this.credit) - this.abandons;
  }

  /** The integral controller: runs on dialing time, frozen while the guard holds the policy off. */
  private control(now: number): void {
    const dt = this.lastDecideT === null ? 0 : Math.min(10, Math.max(0, now - this.lastDecideT));
    this.lastDecideT = now;
    this.controlClock += dt;
    if (this.controlClock < CONTROL_S) return;
    this.controlClock = 0;
    const err = (this.aim * this.stepHumans - this.stepAbandons) / (this.aim * Math.max(this.stepHumans, 1 / this.aim));
    // Anti-windup: while the guard holds the policy off, τ may fall (abandons above the aim) but never rise.
    if (!this.guardedThisStep || err < 0)
      this.tau = Math.min(TAU_MAX, Math.max(TAU_MIN, this.tau * Math.exp(GAIN * err)));
    this.guardedThisStep = false;
    this.stepHumans = 0;
    this.stepAbandons = 0;
  }

  decide(s: PacingSnapshot): PacingDecision {
    this.control(s.now);
    const inFlight = s.callsRinging + s.callsInAmd + s.callsWaiting;
    const progressive = Math.max(0, s.agentsReady - inFlight);
    // Complete outcomes before the first forecast: a team's worth of answers (at most 20), so a
    // rate read from half-observed calls never sizes the burst that fills an idle team.
    const minAnswers = Math.min(SETTLE_ANSWERS, Math.max(3, 2 * s.agentsActive));
    if (
      this.talk.count < 10 ||
      this.wrap.count < 10 ||
      this.ring.count < 10 ||
      !this.answers.settled(s.now, minAnswers)
    ) {
      this.reason = 'warming up: dialing progressively until estimates settle';
      this.warming = true;
      // Progressive dialing abandons nobody: a minute of it says nothing about τ (no wind-up).
      this.guardedThisStep = true;
      this.lastLevel = 1;
      return { dials: progressive };
    }
    this.warming = false;
    const budget = this.budget();
    if (budget < this.headroom || (this.guarded && budget < 2 * this.headroom)) {
      this.guarded = true;
      this.guardedThisStep = true;
      this.reason = `abandon budget nearly spent (${this.abandons} of ${(this.settings.maxAbandonRate * this.humans).toFixed(1)} allowed): progressive until it recovers`;
      this.lastLevel = 1;
      return { dials: progressive };
    }
    this.guarded = false;
    // An agent freed a moment after a full forecast: the forecast still holds, bar that agent.
    if (s.now - this.lastFull < FULL_EVERY_S) return { dials: progressive };
    this.lastFull = s.now;

    const medianRing = this.ring.quantile(0.5);
    const H = medianRing + this.settings.amdDecisionS + this.settings.greetingS + this.settings.connectWithinS;
    const wrapMean = this.wrap.count ? this.wrap.mean : 0;
    this.refreshTables(s, H, wrapMean);
    const ringT = this.ringTable!;
    const ringCdf = (a: number) => 1 - ringT[Math.min(ringT.length - 1, Math.max(0, Math.floor(a / RING_STEP_S)))]!;

    // The share of dials that reach an agent, and how sure we are of it.
    const est = planningRate(this.answers.estimate(s.now, ringCdf));
    const amdOn = this.settings.amdDecisionS > 0;
    const pass = amdOn ? this.pass.share : 1;
    const pA = Math.max(1e-3, est.p);
    const r = pA * pass;
    const rSd = est.sd * pass;

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
    // Demand: calls answered and waiting, in AMD (those it will pass), ringing by how long they have rung.
    mu += s.callsWaiting + s.callsInAmd * pass;
    let ringingWeight = 0;
    for (const g of s.ringingElapsed) {
      const notYet = ringT[Math.min(ringT.length - 1, Math.floor(g / RING_STEP_S))]!;
      const qa = (pA * notYet) / Math.max(1e-9, 1 - pA * (1 - notYet));
      const q = qa * pass;
      mu += q;
      v += q * (1 - q);
      ringingWeight += notYet / Math.max(1e-9, 1 - pA * (1 - notYet));
    }
    // Uncertainty of r is shared by every ringing and every new call: it adds (count · sd)².
    const fits = (k: number) => {
      const m = mu + k * r + 0.5;
      const sdAll = (ringingWeight + k) * rSd;
      const varAll = v + k * r * (1 - r) + sdAll * sdAll;
      return normalCdf(m / Math.sqrt(Math.max(varAll, 0.25))) <= this.tau;
    };
    let n = 0;
    if (fits(1)) {
      let lo = 1;
      let hi = Math.max(2, Math.ceil((s.agentsActive * 4) / r));
      if (fits(hi)) lo = hi;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (fits(mid)) lo = mid;
        else hi = mid;
      }
      n = lo;
    }
    // Ramp limit: one decision may add expected arrivals for the agents ready without a call,
    // plus a share of the team — never the thousands a collapsed estimate would ask for.
    const rampCap = Math.ceil((progressive + RAMP_SHARE * s.agentsActive + 1) / Math.max(r, 1e-3));
    n = Math.min(n, rampCap);
    const dials = Math.max(n, progressive);
    this.lastLevel = s.agentsActive ? (s.callsInProgress + dials) / s.agentsActive : 0;
    this.reason = '';
    this.last = { r, H };
    return { dials };
  }

  /**
   * The conditional probabilities depend on elapsed time only through the sliding windows,
   * which change slowly: tabulate them on a grid and rebuild after enough new samples.
   */
  private refreshTables(s: PacingSnapshot, H: number, wrapMean: number): void {
    const every = this.talk.count < 200 ? 20 : 150;
    const stale =
      !this.talkTable ||
      this.samplesSinceTables >= every ||
      Math.abs(H - this.tablesH) > 1 ||
      s.now - this.tablesAt >= TABLES_MAX_AGE_S;
    if (!stale) return;
    this.samplesSinceTables = 0;
    this.tablesH = H;
    this.tablesAt = s.now;
    // Calls and wraps still running are censored durations: right after a start the completed
    // ones are the short ones, and without them the team would seem to free up soon.
    const talk = this.talk.withRunning(s.talkElapsed);
    const wrap = this.wrap.withRunning(s.wrapElapsed);
    // An agent on a call is on a person (talk, then wrap) or on a machine (short, no wrap):
    // mixed by how often machines reach agents, conditioned on the time already on the call.
    const fm = this.machineAtAgent.count > 0 ? this.machineAtAgent.share : 0;
    const hPerson = Math.max(0, H - wrapMean);
    let longestRunning = 0;
    for (const e of s.talkElapsed) longestRunning = Math.max(longestRunning, e);
    const talkMax = Math.max(this.talk.window.quantile(1), longestRunning, this.talk.tailStart() * 4) + TALK_STEP_S;
    this.talkTable = new Float64Array(Math.min(20_000, Math.ceil(talkMax / TALK_STEP_S) + 1));
    for (let i = 0; i < this.talkTable.length; i++) {
      const e = i * TALK_STEP_S;
      const sp = (1 - fm) * talk.survival(e);
      const sm = this.machineTalk.count ? fm * this.machineTalk.survival(e) : 0;
      const qp = talk.endsWithin(e, hPerson);
      const qm = this.machineTalk.count ? this.machineTalk.endsWithin(e, H) : 1;
      this.talkTable[i] = sp + sm > 0 ? (sp * qp + sm * qm) / (sp + sm) : qp;
    }
    let wrapMax = this.wrap.count ? this.wrap.window.quantile(1) + WRAP_STEP_S : 0;
    for (const w of s.wrapElapsed) wrapMax = Math.max(wrapMax, w + WRAP_STEP_S);
    this.wrapTable = new Float64Array(this.wrap.count ? Math.min(20_000, Math.ceil(wrapMax / WRAP_STEP_S) + 1) : 0);
    for (let i = 0; i < this.wrapTable.length; i++) this.wrapTable[i] = wrap.endsWithin(i * WRAP_STEP_S, H);
    const ringMax = Math.max(this.settings.noAnswerTimeoutS, this.ring.quantile(1)) + RING_STEP_S;
    this.ringTable = new Float64Array(Math.ceil(ringMax / RING_STEP_S) + 1);
    for (let i = 0; i < this.ringTable.length; i++) this.ringTable[i] = 1 - this.ring.cdf(i * RING_STEP_S);
  }

  status(): PacingStatus {
    if (this.reason === '')
      this.reason = `predictive: ${(this.last.r * 100).toFixed(1)}% of dials reach an agent, horizon ${this.last.H.toFixed(1)} s, marginal abandon ≤ ${(this.tau * 100).toFixed(1)}%`;
    return {
      mode: this.guarded || this.warming ? 'progressive' : 'predictive',
      level: this.lastLevel,
      reason: this.reason,
    };
  }
}
