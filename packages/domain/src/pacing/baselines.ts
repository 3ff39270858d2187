import type {
  DialerSettings,
  PacingDecision,
  PacingEvent,
  PacingPolicy,
  PacingSnapshot,
  PacingStatus,
} from './types.ts';

/**
 * The reference policies of the pacing benchmark (shared/bench/pacing/README.md), written
 * from its words. They are also real modes of the live dialer: preview and progressive
 * never abandon; power is a fixed ratio some sites still use.
 */

/** Preview: each agent reviews the contact for `reviewS` seconds, then dials; one call per agent. */
export class PreviewPolicy implements PacingPolicy {
  readonly name = 'preview';
  readonly tickS = 1;
  readonly onAgentReady = true;
  constructor(private readonly reviewS = 15) {}
  observe(): void {}
  decide(s: PacingSnapshot): PacingDecision {
    // Agents who finished reviewing, less the calls already dialed for them.
    const reviewed = s.readyIdle.filter((idle) => idle >= this.reviewS).length;
    const inFlight = s.callsRinging + s.callsInAmd + s.callsWaiting;
    const n = Math.min(reviewed, s.agentsReady - inFlight);
    // Re-consult exactly when the next agent finishes reviewing.
    const pending = s.readyIdle.filter((idle) => idle < this.reviewS).map((idle) => this.reviewS - idle);
    const next = pending.length ? Math.max(0.01, Math.min(...pending)) : this.tickS;
    return { dials: Math.max(0, n), nextDecisionIn: Math.min(next, this.tickS) };
  }
  status(): PacingStatus {
    return { mode: 'preview', level: 1, reason: `agent reviews each contact ${this.reviewS} s, then dials` };
  }
}

/** Progressive: one call per READY agent with no call in progress for them; never abandons. */
export class ProgressivePolicy implements PacingPolicy {
  readonly name = 'progressive';
  readonly tickS = 1;
  readonly onAgentReady = true;
  observe(): void {}
  decide(s: PacingSnapshot): PacingDecision {
    const inFlight = s.callsRinging + s.callsInAmd + s.callsWaiting;
    return { dials: Math.max(0, s.agentsReady - inFlight) };
  }
  status(): PacingStatus {
    return { mode: 'progressive', level: 1, reason: 'one call per ready agent' };
  }
}

/** Power r: every 2.5 s, place round(r·n) − calls in progress, n = agents not on break. */
export class PowerPolicy implements PacingPolicy {
  readonly tickS = 2.5;
  readonly onAgentReady = false;
  readonly name: string;
  constructor(private readonly ratio: number) {
    this.name = `power-${ratio}`;
  }
  observe(): void {}
  decide(s: PacingSnapshot): PacingDecision {
    return { dials: Math.max(0, Math.round(this.ratio * s.agentsActive) - s.callsInProgress) };
  }
  status(): PacingStatus {
    return { mode: 'power', level: this.ratio, reason: `fixed ${this.ratio} lines per agent` };
  }
}

export type VicidialDropMethod = 'HARD_LIMIT' | 'AVERAGE' | 'TAPERED';

/**
 * VICIdial's adaptive dial level, re-implemented from the benchmark's description of
 * AST_VDadapt.pl / AST_VDauto_dial.pl: sample (ready − waiting) and logged-in agents every
 * second, adjust the level every 15 s by the mean surplus, with a panic halving and a
 * daily drop-rate limit handled by one of three methods.
 */
export class VicidialAdaptivePolicy implements PacingPolicy {
  // Consulted every 0.5 s so that 1-s sampling and 2.5-s dialing both fall on their beats.
  readonly tickS = 0.5;
  readonly onAgentReady = false;
  readonly name: string;
  private level = 1.0;
  private lastSample = -Infinity;
  private readonly diffSamples: number[] = [];
  private readonly agentSamples: number[] = [];
  private lastAdapt = 0;
  private lastDial = -Infinity;
  private lastDropRefresh = -Infinity;
  private dayStart = 0;
  private dropsToday = 0;
  private humansToday = 0;
  private callsToday = 0;
  /** Snapshot of today's figures as of the last 60-s refresh (VICIdial's stats lag). */
  private stat = { drops: 0, humans: 0, calls: 0 };
  private readonly recent: { t: number; dropped: boolean }[] = [];

  constructor(
    private readonly method: VicidialDropMethod,
    private readonly settings: DialerSettings & {
      shiftStartS: number;
      shiftEndS: number;
      maxLevel?: number;
      intensity?: number;
    },
  ) {
    this.name = `vicidial-${method.toLowerCase().replace('_limit', '')}`;
  }

  observe(e: PacingEvent): void {
    const day = Math.floor(e.t / 86_400);
    if (day * 86_400 !== this.dayStart) {
      // Drop statistics count since local midnight.
      this.dayStart = day * 86_400;
      this.dropsToday = this.humansToday = this.callsToday = 0;
    }
    if (e.type === 'answer') {
      this.callsToday++;
      if (e.human) this.humansToday++;
    } else if (e.type === 'abandon') {
      this.dropsToday++;
      this.recent.push({ t: e.t, dropped: true });
    } else if (e.type === 'connect') {
      this.recent.push({ t: e.t, dropped: false });
    }
  }

  decide(s: PacingSnapshot): PacingDecision {
    const t = s.now;
    if (t - this.lastSample >= 1 - 1e-9) {
      this.lastSample = t;
      this.diffSamples.push(s.agentsReady - s.callsWaiting);
      this.agentSamples.push(s.agentsActive);
      if (this.diffSamples.length > 15) {
        this.diffSamples.shift();
        this.agentSamples.shift();
      }
    }
    if (t - this.lastDropRefresh >= 60) {
      this.lastDropRefresh = t;
      this.stat = { drops: this.dropsToday, humans: this.humansToday, calls: this.callsToday };
    }
    if (t - this.lastAdapt >= 15 - 1e-9 && this.diffSamples.length > 0) {
      this.lastAdapt = t;
      const D = this.diffSamples.reduce((a, b) => a + b, 0) / this.diffSamples.length;
      const A = this.agentSamples.reduce((a, b) => a + b, 0) / this.agentSamples.length;
      if (A > 0) {
        const pct = (100 * D) / A;
        const I = this.settings.intensity ?? 0;
        const adj = pct >= 0 ? pct * (1 + I / 100) : pct * (1 - I / 100);
        this.level = Math.min(this.settings.maxLevel ?? 3, Math.max(1, this.level * (1 + adj / 100)));
      }
      // Panic: more than 20 calls in the last minute and more than half of them dropped.
      while (this.recent.length && this.recent[0]!.t < t - 60) this.recent.shift();
      if (this.recent.length > 20 && this.recent.filter((r) => r.dropped).length / this.recent.length > 0.5)
        this.level = Math.max(1, this.level / 2);
      if (
        this.stat.calls > 50 &&
        this.stat.humans > 0 &&
        this.stat.drops / this.stat.humans > this.settings.maxAbandonRate
      ) {
        if (this.method === 'HARD_LIMIT') this.level = 1;
        else if (this.method === 'AVERAGE') this.level = Math.max(1, this.level / 2);
        else {
          // TAPERED: the original multiplies by min(1, h/1000), h = shift end − now in HHMM
          // integer arithmetic; with more than ~10 "HHMM hours" left it does not reduce at all.
          const hhmm = (sec: number) => {
            const d = ((sec % 86_400) + 86_400) % 86_400;
            return Math.floor(d / 3600) * 100 + Math.floor((d % 3600) / 60);
          };
          const secOfDay = t - this.dayStart;
          if (secOfDay >= this.settings.shiftEndS) this.level = 1;
          else
            this.level = Math.max(1, this.level * Math.min(1, (hhmm(this.settings.shiftEndS) - hhmm(secOfDay)) / 1000));
        }
      }
    }
    // Dialing every 2.5 s: round(L·n) − calls in progress, n = agents READY or talking.
    if (t - this.lastDial < 2.5 - 1e-9) return { dials: 0 };
    this.lastDial = t;
    const n = s.agentsReady + s.agentsTalking;
    return { dials: Math.max(0, Math.round(this.level * n) - s.callsInProgress) };
  }

  status(): PacingStatus {
    return {
      mode: 'adaptive',
      level: this.level,
      reason: `VICIdial-style adaptive level ${this.level.toFixed(2)} (${this.method})`,
    };
  }
}

/** Erlang-B blocking B(N, a), by the stable recurrence B(0)=1, B(k)=a·B(k−1)/(k + a·B(k−1)). */
export function erlangB(servers: number, load: number): number {
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (load * b) / (k + load * b);
  return b;
}

/** The largest offered load a with ErlangB(N, a) ≤ target (bisection). */
export function erlangBMaxLoad(servers: number, target: number): number {
  let lo = 0;
  let hi = Math.max(1, servers * 2);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (erlangB(servers, mid) <= target) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Erlang open-loop: Poisson dialing at λ = a* ÷ (p·(T+W)), with a* the largest load whose
 * Erlang-B blocking is ≤ the target. It is given p, T and W (the benchmark allows this
 * baseline to be told them: it is a theoretical reference, not an online policy).
 */
export class ErlangOpenLoopPolicy implements PacingPolicy {
  readonly name = 'erlang';
  readonly tickS = 1;
  readonly onAgentReady = false;
  private readonly lambda: number;
  private readonly load: number;
  private readonly handleS: number;
  private readonly answerRateAt: ((t: number) => number) | undefined;
  private current: number;
  constructor(p: {
    agents: number;
    answerRate: number;
    meanHandleS: number;
    target: number;
    dialRate?: number;
    /** The answer rate p at time t (an oracle, e.g. hour by hour); default: `answerRate` throughout. */
    answerRateAt?: (t: number) => number;
  }) {
    this.load = erlangBMaxLoad(p.agents, p.target);
    this.handleS = p.meanHandleS;
    this.lambda = p.dialRate ?? this.load / (p.answerRate * p.meanHandleS);
    this.answerRateAt = p.dialRate === undefined ? p.answerRateAt : undefined;
    this.current = this.lambda;
  }
  rate(): number {
    return this.current;
  }
  observe(): void {}
  decide(s: PacingSnapshot, random: () => number): PacingDecision {
    // One call now, the next after an exponential gap: a Poisson process of rate λ.
    const lambda = this.answerRateAt ? this.load / (this.answerRateAt(s.now) * this.handleS) : this.lambda;
    this.current = lambda;
    return { dials: 1, nextDecisionIn: -Math.log(1 - random()) / lambda };
  }
  status(): PacingStatus {
    return { mode: 'open_loop', level: this.rate(), reason: `Poisson dialing at ${this.rate().toFixed(3)}/s` };
  }
}
