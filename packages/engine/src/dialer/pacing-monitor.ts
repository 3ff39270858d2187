import { defaultIvrSettings, type CampaignSettings } from '@outdial/domain/campaigns';
import {
  CallRateLimiter,
  IvrPolicy,
  PowerPolicy,
  PredictivePolicy,
  ProgressivePolicy,
  RollingCounts,
  SafetyGovernor,
  checkBreaker,
  defaultBreakerLimits,
  defaultGovernorLimits,
  type BreakerLimits,
  type BreakerTrip,
  type GovernedMode,
  type GovernorStep,
  type PacingEvent,
  type PacingPolicy,
  type PacingSnapshot,
} from '@outdial/domain/pacing';

/** What a runner counts as its calls go: the governor's, the breaker's and the rates' inputs. */
export type CallCount = 'dial' | 'resolved' | 'person' | 'abandon' | 'ended' | 'failed';

/** A bucket of past attempts as the database sums them (`AttemptsRepo.campaignBuckets`). */
export interface HistoryBucket {
  start: Date;
  dials: number;
  resolved: number;
  person: number;
  abandons: number;
}

export interface PacingTiming {
  /** Seconds a person's greeting lasts before the 2-second clock starts. */
  greetingS?: number | undefined;
  /** The 2-second rule. */
  connectWithinS?: number | undefined;
}

/** The pacing settings: a change to any of them rebuilds the policies and the governor. */
export const pacingKey = (s: CampaignSettings): string =>
  JSON.stringify([
    s.dialMode,
    s.linesPerAgent,
    s.abandonTarget,
    s.ringTimeoutSeconds,
    s.amd,
    s.maxCallsPerSecond,
    s.ivr?.lines ?? null,
  ]);

const LATENCY_SAMPLES = 500;
/** Talk times of the last calls, kept until their disposition arrives (a machine's is re-read then). */
const RECENT_TALKS = 1000;
const breakerCounts = () => new RollingCounts(['ended', 'failed', 'person', 'abandon'] as const, 10_000, 3_600_000);

/**
 * A campaign's pacing and its safety measures, in one place: the policies (predictive or power,
 * progressive), the safety governor that chooses among them, the calls-per-second cap, and the
 * counts they all judge by — dials, answers and abandons by minute for the last hour and by hour
 * for 30 days (seeded from the database, so a restart keeps its rates), the connect waits (the
 * governor's latency p90) and the circuit breaker's counts since the campaign was (re)started.
 * Pure decisions come from domain/pacing; this class keeps their inputs. No I/O, no clock: time
 * is passed in (ms).
 */
export class PacingMonitor {
  private policies!: Record<GovernedMode, PacingPolicy>;
  private governor!: SafetyGovernor;
  private limiter!: CallRateLimiter;
  private breakerLimits!: BreakerLimits;
  /** `resolved`: dials whose fate is known (answered, or ended unanswered) — the answer rate's denominator. */
  private readonly byMinute = new RollingCounts(['dial', 'resolved', 'person', 'abandon'] as const, 60_000, 3_600_000);
  private readonly byHour = new RollingCounts(['person', 'abandon'] as const, 3_600_000, 30 * 86_400_000);
  /** What the circuit breaker judges, since the campaign was (re)started: a person's resume starts afresh. */
  private breaker = breakerCounts();
  /** The last connect waits (ms), a ring. */
  private readonly latencies: number[] = [];
  private latencyTurn = 0;
  /** attemptId → seconds the agent spent on the call, for the last calls (insertion order). */
  private readonly recentTalks = new Map<string, number>();

  constructor(
    settings: CampaignSettings,
    private readonly timing: PacingTiming = {},
  ) {
    this.configure(settings);
  }

  /**
   * Builds the pacing from the settings: the policies, the governor in the configured mode, the
   * calls/s cap, the breaker's limits. They start from the configured mode again and relearn;
   * the counts stay. Returns the configured mode.
   */
  configure(s: CampaignSettings): GovernedMode {
    const dialer = {
      noAnswerTimeoutS: s.ringTimeoutSeconds,
      greetingS: this.timing.greetingS ?? 0,
      connectWithinS: this.timing.connectWithinS ?? 2,
      amdDecisionS: s.amd ? 1.5 : 0,
      maxAbandonRate: s.abandonTarget,
    };
    if (s.dialMode === 'ivr') {
      // Agentless: the IVR's lines set the pace whatever mode the governor is in (no agent waits).
      const ivr = new IvrPolicy((s.ivr ?? defaultIvrSettings()).lines);
      this.policies = { predictive: ivr, progressive: ivr, preview: ivr };
    } else {
      const ahead: PacingPolicy =
        s.dialMode === 'power'
          ? new PowerPolicy(s.linesPerAgent)
          : // No abandons on credit: the governor judges the trailing hour from 30 people on.
            new PredictivePolicy(dialer, { periodCredit: 0 });
      const progressive = new ProgressivePolicy();
      // Preview needs the agent's own click (workstation); until then it is served as progressive.
      this.policies = { predictive: ahead, progressive, preview: progressive };
    }
    const configured: GovernedMode =
      s.dialMode === 'preview' ? 'preview' : s.dialMode === 'progressive' ? 'progressive' : 'predictive';
    this.governor = new SafetyGovernor(configured, defaultGovernorLimits(s.abandonTarget));
    this.limiter = new CallRateLimiter(s.maxCallsPerSecond);
    this.breakerLimits = defaultBreakerLimits(s.abandonTarget);
    return configured;
  }

  /** Seeds the windows with the campaign's past: hourly buckets for 30 days, minute buckets for the last hour. */
  seed(hours: readonly HistoryBucket[], minutes: readonly HistoryBucket[]): void {
    for (const b of hours) this.byHour.seed(b.start.getTime(), { person: b.person, abandon: b.abandons });
    for (const b of minutes)
      this.byMinute.seed(b.start.getTime(), {
        dial: b.dials,
        resolved: b.resolved,
        person: b.person,
        abandon: b.abandons,
      });
  }

  get mode(): GovernedMode {
    return this.governor.mode;
  }

  /** Why the campaign runs in the mode it does. */
  explain(): string {
    return this.governor.explain();
  }

  /** The policy of the mode the governor allows now. */
  policy(): PacingPolicy {
    return this.policies[this.governor.mode];
  }

  /** Milliseconds between decisions (at most a second; the calls/s cap, not the tick, sets the rate). */
  tickMs(): number {
    return Math.min(this.policy().tickS, 1) * 1000;
  }

  /** How many calls to place now: the policy's answer, capped by calls per second (spent when returned). */
  dials(snapshot: PacingSnapshot, random: () => number, t: number): number {
    const wanted = this.policy().decide(snapshot, random).dials;
    return this.limiter.take(t / 1000, wanted);
  }

  count(t: number, kind: CallCount): void {
    if (kind !== 'ended' && kind !== 'failed') this.byMinute.add(t, kind);
    if (kind === 'person' || kind === 'abandon') this.byHour.add(t, kind);
    if (kind !== 'dial' && kind !== 'resolved') this.breaker.add(t, kind);
  }

  /** An answered callee waited `ms` for an agent. */
  connectWait(ms: number): void {
    if (this.latencies.length < LATENCY_SAMPLES) this.latencies.push(ms);
    else this.latencies[this.latencyTurn++ % LATENCY_SAMPLES] = ms;
  }

  /** A connected call ended after `talkS` of talk (time `t`, ms): the policies learn talk times from it. */
  talkEnded(attemptId: string, t: number, talkS: number): void {
    this.recentTalks.set(attemptId, talkS);
    if (this.recentTalks.size > RECENT_TALKS) this.recentTalks.delete(this.recentTalks.keys().next().value!);
    this.observe({ type: 'talk_end', t: t / 1000, talkS });
  }

  /**
   * The agent's disposition says the call was an answering machine (the code
   * ANSWERING_MACHINE_DISPOSITION): the policies count machines reaching agents as demand and
   * learn how long they hold an agent. A call this monitor did not see end is ignored.
   */
  machineAtAgent(attemptId: string, t: number): boolean {
    const talkS = this.recentTalks.get(attemptId);
    if (talkS === undefined) return false;
    this.recentTalks.delete(attemptId);
    this.observe({ type: 'machine_reached_agent', t: t / 1000, talkS });
    return true;
  }

  /** Every policy hears every outcome, so a mode the governor steps back into has warm estimates. */
  observe(e: PacingEvent): void {
    for (const p of new Set(Object.values(this.policies))) p.observe(e);
  }

  /** Feeds the governor the rates at `t`; returns the step it took, if any. */
  updateGovernor(t: number): GovernorStep | null {
    const inHour = this.byMinute.sum(t, 3_600_000);
    const day = this.byHour.sum(t, 86_400_000);
    const month = this.byHour.sum(t, 30 * 86_400_000);
    const latencies = [...this.latencies].sort((a, b) => a - b);
    return this.governor.update({
      t: t / 1000,
      abandon: {
        hour: { abandoned: inHour.abandon, answered: inHour.person },
        today: { abandoned: day.abandon, answered: day.person },
        days30: { abandoned: month.abandon, answered: month.person },
      },
      // Calls still ringing are not failures to answer: only dials whose fate is known count.
      answer: { dialed: inHour.resolved, answered: inHour.person },
      connectLatencyP90S: latencies.length >= 10 ? latencies[Math.floor(latencies.length * 0.9)]! / 1000 : null,
    });
  }

  /** The circuit breaker's verdict at `t`: a trip means dialing must stop until a person resumes. */
  breakerTrip(t: number): BreakerTrip | null {
    const recent = this.breaker.sum(t, 5 * 60_000);
    const hour = this.breaker.sum(t, 3_600_000);
    return checkBreaker(
      {
        recent: { ended: recent.ended, failed: recent.failed },
        hour: { answered: hour.person, abandoned: hour.abandon },
        mode: this.governor.mode,
      },
      this.breakerLimits,
    );
  }

  /** A person resumed the campaign: the breaker judges only what happens from now on. */
  resetBreaker(): void {
    this.breaker = breakerCounts();
  }
}

/** What pacing needs to know of an agent (the desk's view). */
export interface PacedAgent {
  state: { status: string; since: number };
}

/** What pacing needs to know of a call in progress. */
export interface PacedCall {
  placedAt: number;
  answeredAt: number | null;
  connectedAt: number | null;
  abandoned: boolean;
  /** IVR: hearing the prompt, not waiting for an agent. */
  ivrPending?: boolean;
}

/** The moment as the pacing policies see it: agents by state, calls ringing and waiting (times in seconds). */
export function pacingSnapshot(t: number, agents: readonly PacedAgent[], calls: Iterable<PacedCall>): PacingSnapshot {
  const by = (st: string) => agents.filter((a) => a.state.status === st);
  const all = [...calls];
  const ringing = all.filter((c) => c.answeredAt === null);
  const waiting = all.filter(
    (c) => c.answeredAt !== null && c.connectedAt === null && !c.abandoned && c.ivrPending !== true,
  );
  const elapsed = (since: number) => (t - since) / 1000;
  return {
    now: t / 1000,
    agentsActive: agents.length - by('paused').length,
    agentsReady: by('ready').length,
    agentsTalking: by('talking').length + by('reserved').length,
    agentsWrap: by('wrap_up').length,
    agentsOnBreak: by('paused').length,
    readyIdle: by('ready').map((a) => elapsed(a.state.since)),
    talkElapsed: [...by('talking'), ...by('reserved')].map((a) => elapsed(a.state.since)),
    wrapElapsed: by('wrap_up').map((a) => elapsed(a.state.since)),
    callsRinging: ringing.length,
    ringingElapsed: ringing.map((c) => elapsed(c.placedAt)),
    callsWaiting: waiting.length,
    callsInAmd: 0,
    callsInProgress: all.length,
  };
}
