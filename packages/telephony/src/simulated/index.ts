import type { EndCause, OriginateRequest, Scheduler, Telephony, TelephonyEvent } from '@outdial/engine';

/**
 * A carrier that exists only in memory: it answers, rings out, is busy or fails at
 * configurable rates and timings, runs a fallible AMD, and hangs up after a drawn talk
 * time. Demo mode and tests use it so a predictive campaign really runs without phones.
 */
export interface SimulatedCarrierConfig {
  /** Probabilities of each fate of a dial; the rest ring out (no answer). */
  personRate: number;
  machineRate: number;
  busyRate: number;
  failedRate: number;
  /** Mean ring time before an answer, ms (exponential, floored at 1 s). */
  meanRingMs: number;
  /** Mean time before a busy/failed answer comes back, ms. */
  meanRejectMs: number;
  /** AMD decision time and errors: a person called a machine / a machine passed as a person. */
  amdDecisionMs: number;
  amdFalsePositive: number;
  amdFalseNegative: number;
  /** Mean talk time once connected, ms (exponential): the customer hangs up after it. */
  meanTalkMs: number;
  /** How long an unconnected answered person waits before hanging up, ms. */
  customerPatienceMs: number;
  /** Duration of the abandon message, ms. */
  abandonMessageMs: number;
  /** IVR campaigns: shares of people who press 1 (an agent) or 9 (do-not-call) during the prompt; the rest press nothing. */
  ivrAgentKeyRate: number;
  ivrDncKeyRate: number;
  /** When in the prompt they press it, ms. */
  ivrKeyMs: number;
}

export const defaultSimulatedCarrier: SimulatedCarrierConfig = {
  personRate: 0.3,
  machineRate: 0.1,
  busyRate: 0.05,
  failedRate: 0.03,
  meanRingMs: 7000,
  meanRejectMs: 1500,
  amdDecisionMs: 2500,
  amdFalsePositive: 0.02,
  amdFalseNegative: 0.1,
  meanTalkMs: 90_000,
  customerPatienceMs: 8000,
  abandonMessageMs: 4000,
  ivrAgentKeyRate: 0.2,
  ivrDncKeyRate: 0.05,
  ivrKeyMs: 3000,
};

type Phase = 'ringing' | 'answered' | 'connected' | 'releasing';

interface Call {
  id: string;
  phase: Phase;
  person: boolean;
  timer: unknown;
}

const SIP: Record<EndCause, number> = {
  no_answer: 487,
  busy: 486,
  failed: 404,
  customer_hangup: 200,
  agent_hangup: 200,
  abandoned: 200,
  machine_released: 200,
  cancelled: 487,
};

export class SimulatedCarrier implements Telephony {
  private readonly calls = new Map<string, Call>();
  private readonly listeners = new Set<(e: TelephonyEvent) => void>();

  constructor(
    private readonly cfg: SimulatedCarrierConfig,
    private readonly scheduler: Scheduler,
    /** Uniform [0, 1): injected so runs can be reproduced from a seed. */
    private readonly random: () => number,
  ) {}

  get activeCalls(): number {
    return this.calls.size;
  }

  subscribe(listener: (e: TelephonyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: TelephonyEvent): void {
    for (const l of this.listeners) l(e);
  }

  private exp(mean: number): number {
    return -Math.log(1 - this.random()) * mean;
  }

  private schedule(call: Call, ms: number, fn: () => void): void {
    this.scheduler.clearTimeout(call.timer);
    call.timer = this.scheduler.setTimeout(fn, Math.max(0, ms));
  }

  private end(call: Call, cause: EndCause): void {
    this.scheduler.clearTimeout(call.timer);
    this.calls.delete(call.id);
    this.emit({ type: 'ended', callId: call.id, at: this.scheduler.now(), cause, sipCode: SIP[cause] });
  }

  originate(req: OriginateRequest): void {
    if (this.calls.has(req.callId)) throw new Error(`call ${req.callId} is already in progress`);
    const call: Call = { id: req.callId, phase: 'ringing', person: false, timer: undefined };
    this.calls.set(req.callId, call);
    const u = this.random();
    const c = this.cfg;
    const ring = Math.max(1000, this.exp(c.meanRingMs));
    // Ringing is reported asynchronously, as a real carrier's 180 would be.
    this.schedule(call, 50, () => {
      this.emit({ type: 'ringing', callId: call.id, at: this.scheduler.now() });
      if (u < c.busyRate) return this.schedule(call, this.exp(c.meanRejectMs), () => this.end(call, 'busy'));
      if (u < c.busyRate + c.failedRate)
        return this.schedule(call, this.exp(c.meanRejectMs), () => this.end(call, 'failed'));
      const answers = u < c.busyRate + c.failedRate + c.personRate + c.machineRate;
      if (!answers || ring >= req.ringTimeoutMs)
        return this.schedule(call, req.ringTimeoutMs, () => this.end(call, 'no_answer'));
      call.person = u < c.busyRate + c.failedRate + c.personRate;
      this.schedule(call, ring, () => {
        let amd: 'human' | 'machine' | 'unknown' = 'unknown';
        const report = () => {
          call.phase = 'answered';
          // A person left waiting hangs up; a machine plays its greeting and records forever.
          // Armed before the event, so a listener that connects or abandons replaces it.
          if (call.person) this.schedule(call, c.customerPatienceMs, () => this.end(call, 'customer_hangup'));
          else this.scheduler.clearTimeout(call.timer);
          this.emit({ type: 'answered', callId: call.id, at: this.scheduler.now(), amd });
        };
        if (!req.amd) return report();
        const wrong = this.random() < (call.person ? c.amdFalsePositive : c.amdFalseNegative);
        amd = call.person !== wrong ? 'human' : 'machine';
        this.schedule(call, c.amdDecisionMs, report);
      });
    });
  }

  connect(callId: string, agentId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') throw new Error(`call ${callId} is not waiting for an agent`);
    call.phase = 'connected';
    this.emit({ type: 'connected', callId, at: this.scheduler.now(), agentId });
    // A machine passed to an agent is noticed and dropped quickly (~10 s of wasted talk).
    const talk = call.person ? this.exp(this.cfg.meanTalkMs) : 10_000;
    this.schedule(call, talk, () => this.end(call, 'customer_hangup'));
  }

  abandon(callId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') return;
    call.phase = 'releasing';
    this.schedule(call, this.cfg.abandonMessageMs, () => this.end(call, 'abandoned'));
  }

  /** Hold changes nothing the dialer sees here (the talk time keeps running). */
  hold(callId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'connected') throw new Error(`call ${callId} is not connected to an agent`);
  }

  /** The other agent's phone answers after a moment: the call is theirs (blind and attended alike here). */
  transfer(callId: string, toAgentId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'connected') throw new Error(`call ${callId} is not connected to an agent`);
    this.scheduler.setTimeout(() => {
      if (this.calls.get(callId) === call && call.phase === 'connected')
        this.emit({ type: 'connected', callId, at: this.scheduler.now(), agentId: toAgentId });
    }, 200);
  }

  /** A person presses 1, 9 or nothing during the prompt (rates in the config); a machine never does. */
  playPrompt(callId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') throw new Error(`call ${callId} is not waiting for an agent`);
    if (!call.person) return;
    const u = this.random();
    const digit =
      u < this.cfg.ivrAgentKeyRate ? '1' : u < this.cfg.ivrAgentKeyRate + this.cfg.ivrDncKeyRate ? '9' : null;
    if (!digit) return;
    this.scheduler.setTimeout(() => {
      if (this.calls.get(callId) === call && call.phase === 'answered')
        this.emit({ type: 'dtmf', callId, at: this.scheduler.now(), digit });
    }, this.cfg.ivrKeyMs);
  }

  hangup(callId: string, cause: Extract<EndCause, 'agent_hangup' | 'machine_released' | 'cancelled'>): void {
    const call = this.calls.get(callId);
    if (call) this.end(call, cause);
  }
}
