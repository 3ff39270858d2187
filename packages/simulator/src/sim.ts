import type { PacingEvent, PacingPolicy, PacingSnapshot } from '@outdial/domain/pacing';
import { EventHeap } from './heap.ts';
import { hashUniform, sampler, sfc32 } from './random.ts';
import type { Scenario } from './scenario.ts';

/**
 * A discrete-event simulation of an outbound call centre, as the pacing benchmark
 * specifies it: agents READY → TALK → WRAP (and breaks), dials that ring and are answered
 * by a person or a machine or not at all, AMD with its errors, the greeting and the
 * 2-second rule, abandons. Virtual time in seconds. The pacing policy is the same object
 * the live dialer would run.
 */

export interface ReplicationResult {
  /** Σ person talk time, s. */
  talkS: number;
  /** Σ logged-in time not on break, s. */
  availableS: number;
  /** Σ time agents spent READY, s. */
  idleS: number;
  dials: number;
  humans: number;
  machines: number;
  /** FTC abandons: a person answered and no agent came in time. */
  abandons: number;
  /** People dropped by AMD as machines (Ofcom counts these as abandoned too). */
  amdDrops: number;
  connects: number;
  days: number;
  dayHumans: number[];
  dayAbandons: number[];
  /** Worst clock hour's abandon rate (hours with ≥ 20 person answers). */
  worstHourRate: number;
  peakLines: number;
  /** Person answers' wait from the end of the greeting to an agent, p95, s. */
  waitP95: number;
  agentHours: number;
}

const READY = 0,
  TALK = 1,
  WRAP = 2,
  BREAK = 3;
const EV_SHIFT_START = 0,
  EV_SHIFT_END = 1,
  EV_DECIDE = 2,
  EV_RING_END = 3,
  EV_AMD_DONE = 4,
  EV_DEADLINE = 5,
  EV_TALK_END = 6,
  EV_WRAP_END = 7,
  EV_BREAK_DUE = 8,
  EV_BREAK_END = 9;
const RINGING = 0,
  IN_AMD = 1,
  WAITING = 2,
  CONNECTED = 3;
/** An agent given a machine (no AMD, or an AMD miss) notices and drops it after this long. */
const MACHINE_TALK_S = 10;

interface Call {
  id: number;
  state: number;
  dialT: number;
  human: boolean;
  answers: boolean;
  ringS: number;
  talkS: number;
  wrapS: number;
  amdMachine: boolean;
  /** When the 2-second clock started: answer + greeting, whether or not AMD is on. */
  greetEnd: number;
  connectT: number;
  agent: number;
  bound: number;
}

export interface SimOptions {
  days?: number;
  /**
   * The policy for each working day. Every day starts afresh (no calls carried over); a policy
   * that should restart at its initial level each day (the baselines) is made anew here. Default:
   * the one policy given, kept for the whole replication.
   */
  policyForDay?: (day: number) => PacingPolicy;
  /** Agent-bound dialing (preview, progressive): each call is reserved for an agent. */
  agentBound?: boolean;
}

export function simulateReplication(
  sc: Scenario,
  firstPolicy: PacingPolicy,
  rep: number,
  opts: SimOptions = {},
): ReplicationResult {
  let policy = firstPolicy;
  const N = sc.agents;
  const days = opts.days ?? sc.shift.days;
  const bound = opts.agentBound ?? false;
  const shiftLen = sc.shift.hoursPerDay * 3600;
  const ringDraw = sampler(sc.ringToAnswerSeconds);
  const talkDraw = sampler(sc.talkSeconds);
  const wrapDraw = sampler(sc.wrapSeconds);
  const amdOn = sc.amd.enabled;
  const amdS = amdOn ? (sc.amd.decisionSeconds ?? 0) : 0;
  const fp = sc.amd.falsePositive ?? 0;
  const fn = sc.amd.falseNegative ?? 0;
  const policyRandom = sfc32((sc.seed * 7919 + rep * 104729 + 17) | 0);

  const state = new Int8Array(N);
  const since = new Float64Array(N);
  const boundCall = new Int32Array(N).fill(-1);
  const breakDue = new Uint8Array(N);
  const agentCall = new Int32Array(N).fill(-1);
  const agentWrap = new Float64Array(N);
  const breakers = sc.breaks ? Math.round(sc.breaks.fractionOfAgents * N) : 0;

  const heap = new EventHeap();
  const calls = new Map<number, Call>();
  const waiting: Call[] = [];
  let waitHead = 0;
  let nextCall = 0;
  let lead = 0;
  let gen = 0;
  let onShift = false;
  let shiftStart = 0;
  let day = 0;
  let inAmd = 0;

  const r: ReplicationResult = {
    talkS: 0,
    availableS: 0,
    idleS: 0,
    dials: 0,
    humans: 0,
    machines: 0,
    abandons: 0,
    amdDrops: 0,
    connects: 0,
    days,
    dayHumans: new Array<number>(days).fill(0),
    dayAbandons: new Array<number>(days).fill(0),
    worstHourRate: 0,
    peakLines: 0,
    waitP95: 0,
    agentHours: 0,
  };
  const hourHumans = new Map<number, number>();
  const hourAbandons = new Map<number, number>();
  const waitHist = new Uint32Array(601); // 0.05-s bins up to 30 s

  const observe = (e: PacingEvent) => policy.observe(e);
  /** Talk counted for occupancy: the part inside the shift window only. */
  const talkInShift = (from: number, to: number) =>
    Math.max(0, Math.min(to, shiftStart + shiftLen) - Math.max(from, shiftStart));

  const humanRate = (t: number): number => {
    const h = (t - shiftStart) / 3600;
    const byHour = sc.answer.humanByHour;
    let p = byHour ? byHour[Math.min(byHour.length - 1, Math.max(0, Math.floor(h)))]! : (sc.answer.human ?? 0);
    for (const st of sc.answer.steps ?? []) {
      if (h >= st.atHour && h < st.atHour + st.durationMinutes / 60) p *= st.factor;
    }
    return Math.min(p, 1 - sc.answer.machine);
  };

  // --- agents -------------------------------------------------------------------------
  const setState = (a: number, s: number, t: number) => {
    // `since` is Infinity for agents idle after the shift: that time is not counted.
    if (state[a] === READY && since[a]! < t) r.idleS += t - since[a]!;
    state[a] = s;
    since[a] = t;
  };

  const longestIdle = (eligible: (a: number) => boolean): number => {
    let best = -1;
    for (let a = 0; a < N; a++) {
      if (state[a] === READY && boundCall[a] === -1 && eligible(a) && (best < 0 || since[a]! < since[best]!)) best = a;
    }
    return best;
  };

  const startBreak = (a: number, t: number) => {
    breakDue[a] = 0;
    setState(a, BREAK, t);
    heap.push(t + sc.breaks!.minutes * 60, EV_BREAK_END, a);
    r.availableS -= Math.max(0, Math.min(t + sc.breaks!.minutes * 60, shiftStart + shiftLen) - t);
  };

  const becomeReady = (a: number, t: number) => {
    if (breakDue[a] && onShift) {
      startBreak(a, t);
      return;
    }
    setState(a, READY, t);
    if (waitHead < waiting.length) {
      const c = waiting[waitHead++]!;
      if (waitHead > 1024 && waitHead * 2 > waiting.length) {
        waiting.splice(0, waitHead);
        waitHead = 0;
      }
      connect(c, a, t);
      return;
    }
    if (policy.onAgentReady && onShift) decide(t);
  };

  /** A bound agent's call failed: the agent, still READY, starts on the next contact now. */
  const nextContact = (a: number, t: number) => {
    if (state[a] !== READY) return;
    if (!onShift) {
      setState(a, READY, t);
      since[a] = Infinity;
      return;
    }
    setState(a, READY, t); // books the idle time so far and restarts the clock
    if (policy.onAgentReady) decide(t);
  };

  // --- calls ----------------------------------------------------------------------------
  const endCall = (c: Call) => {
    calls.delete(c.id);
    if (c.bound >= 0) {
      boundCall[c.bound] = -1;
    }
  };

  const connect = (c: Call, a: number, t: number) => {
    c.state = CONNECTED;
    c.agent = a;
    c.connectT = t;
    agentCall[a] = c.id;
    if (c.bound >= 0) boundCall[c.bound] = -1;
    c.bound = -1;
    setState(a, TALK, t);
    if (c.human) {
      r.connects++;
      const wait = Math.max(0, t - c.greetEnd);
      waitHist[Math.min(600, Math.floor(wait / 0.05))]!++;
      observe({ type: 'connect', t, waitS: wait });
      heap.push(t + c.talkS, EV_TALK_END, c.id);
    } else {
      heap.push(t + MACHINE_TALK_S, EV_TALK_END, c.id);
    }
  };

  const abandon = (c: Call, t: number) => {
    if (c.human) {
      r.abandons++;
      r.dayAbandons[day]!++;
      const hk = day * 24 + Math.floor((t - shiftStart) / 3600);
      hourAbandons.set(hk, (hourAbandons.get(hk) ?? 0) + 1);
      observe({ type: 'abandon', t });
    }
    endCall(c);
  };

  /**
   * An answered call (after AMD, if on) goes to an agent. Its 2-second clock started at the
   * end of the greeting, counted from the answer whether or not AMD is on: an AMD verdict later
   * than answer + greeting + 2 s leaves no time at all.
   */
  const toAgent = (c: Call, t: number) => {
    c.state = WAITING;
    c.greetEnd = c.dialT + c.ringS + sc.greetingSeconds;
    const deadline = c.greetEnd + sc.connectWithinSeconds;
    if (c.bound >= 0 && t <= deadline + 1e-9) {
      connect(c, c.bound, t);
      return;
    }
    const a = t <= deadline + 1e-9 ? longestIdle(() => true) : -1;
    if (a >= 0) {
      connect(c, a, t);
      return;
    }
    if (t >= deadline - 1e-9) {
      const b = c.bound;
      abandon(c, t);
      if (b >= 0) nextContact(b, t);
      return;
    }
    waiting.push(c);
    heap.push(deadline, EV_DEADLINE, c.id);
  };

  const dial = (t: number) => {
    const i = lead++;
    const uO = hashUniform(sc.seed, rep, i, 0);
    const pH = humanRate(t);
    const human = uO < pH;
    const answers = uO < pH + sc.answer.machine;
    const ringS = ringDraw(hashUniform(sc.seed, rep, i, 1));
    const c: Call = {
      id: nextCall++,
      state: RINGING,
      dialT: t,
      human,
      answers: answers && ringS < sc.noAnswerTimeoutSeconds,
      ringS,
      talkS: talkDraw(hashUniform(sc.seed, rep, i, 2)),
      wrapS: wrapDraw(hashUniform(sc.seed, rep, i, 3)),
      amdMachine: false,
      greetEnd: 0,
      connectT: 0,
      agent: -1,
      bound: -1,
    };
    if (amdOn && c.answers) {
      const u = hashUniform(sc.seed, rep, i, 4);
      c.amdMachine = human ? u < fp : !(u < fn);
    }
    if (bound) {
      const a = longestIdle(() => true);
      if (a >= 0) {
        c.bound = a;
        boundCall[a] = c.id;
      }
    }
    calls.set(c.id, c);
    r.dials++;
    ringingCount++;
    observe({ type: 'dial', t });
    heap.push(t + (c.answers ? ringS : sc.noAnswerTimeoutSeconds), EV_RING_END, c.id);
    const lines = calls.size;
    if (lines > r.peakLines) r.peakLines = lines;
  };

  // --- decisions ------------------------------------------------------------------------
  // Counts are kept up to date as events happen; the per-agent and per-call lists are
  // built only when a policy reads them (the predictive policy does, the baselines not).
  let ringingCount = 0;
  const lists: SnapshotLists = {
    agents(want: number, t: number) {
      const out: number[] = [];
      for (let a = 0; a < N; a++)
        if (state[a] === want && (want !== READY || boundCall[a] === -1)) out.push(t - since[a]!);
      return out;
    },
    ringing(t: number) {
      const out: number[] = [];
      for (const c of calls.values()) if (c.state === RINGING) out.push(t - c.dialT);
      return out;
    },
  };
  const snapshot = (t: number): PacingSnapshot => {
    let ready = 0,
      talking = 0,
      wrapping = 0,
      onBreak = 0;
    for (let a = 0; a < N; a++) {
      const st = state[a];
      if (st === READY) ready++;
      else if (st === TALK) talking++;
      else if (st === WRAP) wrapping++;
      else onBreak++;
    }
    return new LazySnapshot(
      lists,
      t,
      N - onBreak,
      ready,
      talking,
      wrapping,
      onBreak,
      ringingCount,
      waiting.length - waitHead,
      inAmd,
      calls.size,
    );
  };

  const decide = (t: number) => {
    const d = policy.decide(snapshot(t), policyRandom);
    const n = Math.min(d.dials, 20 * N + 100);
    for (let k = 0; k < n; k++) dial(t);
    gen++;
    heap.push(t + (d.nextDecisionIn ?? policy.tickS), EV_DECIDE, 0, gen);
  };

  // --- the run: each working day afresh ----------------------------------------------------
  let lastT = 0;
  for (let d = 0; d < days; d++) {
    // A shift of ~24 h may still be draining its last calls: the next day starts after them.
    const start = Math.max(d * 86_400 + sc.shift.startHour * 3600, lastT);
    if (d > 0 && opts.policyForDay) policy = opts.policyForDay(d);
    heap.push(start, EV_SHIFT_START, d);
    heap.push(start + shiftLen, EV_SHIFT_END, d);
    for (let a = 0; a < breakers && sc.breaks; a++) {
      const every = sc.breaks.everyMinutes * 60;
      const offset = sc.breaks.staggered === false ? every : every * (0.5 + a / breakers);
      for (let bt = start + offset; bt < start + shiftLen; bt += every) heap.push(bt, EV_BREAK_DUE, a);
    }
    lastT = runDay();
  }

  function runDay(): number {
    let t = 0;
    for (;;) {
      const e = heap.pop();
      if (!e) return t;
      t = e.t;
      handle(e.kind, e.id, e.gen, t);
    }
  }

  function handle(kind: number, id: number, egen: number, t: number): void {
    switch (kind) {
      case EV_SHIFT_START:
        day = id;
        shiftStart = t;
        onShift = true;
        r.availableS += N * shiftLen;
        r.agentHours += (N * shiftLen) / 3600;
        // Afresh: no calls carried over (the previous day has drained), everyone READY.
        waiting.length = 0;
        waitHead = 0;
        for (let a = 0; a < N; a++) {
          breakDue[a] = 0;
          boundCall[a] = -1;
          agentCall[a] = -1;
          state[a] = READY;
          since[a] = t;
        }
        decide(t);
        break;
      case EV_SHIFT_END:
        onShift = false;
        gen++;
        // Idle time of agents still waiting counts up to the end of the shift only.
        for (let a = 0; a < N; a++) {
          if (state[a] === READY) {
            r.idleS += t - since[a]!;
            since[a] = Infinity;
          }
        }
        break;
      case EV_DECIDE:
        if (onShift && egen === gen) decide(t);
        break;
      case EV_RING_END: {
        const c = calls.get(id)!;
        ringingCount--;
        if (!c.answers) {
          observe({ type: 'no_answer', t, ringS: t - c.dialT });
          const b = c.bound;
          endCall(c);
          if (b >= 0) nextContact(b, t);
          break;
        }
        observe({ type: 'answer', t, human: c.human, ringS: c.ringS });
        if (c.human) {
          r.humans++;
          r.dayHumans[day]!++;
          const hk = day * 24 + Math.floor((t - shiftStart) / 3600);
          hourHumans.set(hk, (hourHumans.get(hk) ?? 0) + 1);
        } else r.machines++;
        if (amdOn) {
          c.state = IN_AMD;
          inAmd++;
          heap.push(t + amdS, EV_AMD_DONE, c.id);
        } else toAgent(c, t);
        break;
      }
      case EV_AMD_DONE: {
        const c = calls.get(id)!;
        inAmd--;
        observe({ type: 'amd_verdict', t, machine: c.amdMachine });
        if (c.amdMachine) {
          if (c.human) {
            r.amdDrops++;
            observe({ type: 'amd_drop', t });
          }
          const b = c.bound;
          endCall(c);
          if (b >= 0) nextContact(b, t);
        } else toAgent(c, t);
        break;
      }
      case EV_DEADLINE: {
        const c = calls.get(id);
        if (!c || c.state !== WAITING) break;
        const idx = waiting.indexOf(c, waitHead);
        if (idx >= 0) waiting.splice(idx, 1);
        abandon(c, t);
        break;
      }
      case EV_TALK_END: {
        const c = calls.get(id)!;
        const a = c.agent;
        endCall(c);
        agentCall[a] = -1;
        if (c.human) {
          r.talkS += talkInShift(c.connectT, t);
          observe({ type: 'talk_end', t, talkS: c.talkS });
          setState(a, WRAP, t);
          agentWrap[a] = c.wrapS;
          heap.push(t + c.wrapS, EV_WRAP_END, a);
        } else {
          // The agent heard a machine and said so (the "answering machine" disposition).
          observe({ type: 'machine_reached_agent', t, talkS: t - c.connectT });
          if (onShift || calls.size > 0) becomeReady(a, t);
          else setState(a, READY, t);
        }
        break;
      }
      case EV_WRAP_END: {
        const a = id;
        observe({ type: 'wrap_end', t, wrapS: agentWrap[a]! });
        if (onShift) becomeReady(a, t);
        else {
          setState(a, READY, t);
          since[a] = Infinity;
          // answered calls still waiting after the shift are served by whoever is free
          if (waitHead < waiting.length) connect(waiting[waitHead++]!, a, t);
        }
        break;
      }
      case EV_BREAK_DUE: {
        const a = id;
        if (!onShift) break;
        if (state[a] === READY && boundCall[a] === -1) startBreak(a, t);
        else breakDue[a] = 1;
        break;
      }
      case EV_BREAK_END: {
        const a = id;
        if (state[a] !== BREAK) break;
        if (onShift) becomeReady(a, t);
        else {
          state[a] = READY;
          since[a] = Infinity;
        }
        break;
      }
    }
  }

  for (const [k, h] of hourHumans) {
    if (h >= 20) r.worstHourRate = Math.max(r.worstHourRate, (hourAbandons.get(k) ?? 0) / h);
  }
  let total = 0;
  for (const v of waitHist) total += v;
  let acc = 0;
  for (let i = 0; i < waitHist.length; i++) {
    acc += waitHist[i]!;
    if (acc >= 0.95 * total) {
      r.waitP95 = i * 0.05;
      break;
    }
  }
  return r;
}

interface SnapshotLists {
  agents(state: number, t: number): number[];
  ringing(t: number): number[];
}

/** A snapshot whose lists are computed on first read (a class: prototype getters stay fast). */
class LazySnapshot implements PacingSnapshot {
  private r?: number[];
  private k?: number[];
  private w?: number[];
  private g?: number[];
  constructor(
    private readonly lists: SnapshotLists,
    readonly now: number,
    readonly agentsActive: number,
    readonly agentsReady: number,
    readonly agentsTalking: number,
    readonly agentsWrap: number,
    readonly agentsOnBreak: number,
    readonly callsRinging: number,
    readonly callsWaiting: number,
    readonly callsInAmd: number,
    readonly callsInProgress: number,
  ) {}
  get readyIdle(): number[] {
    return (this.r ??= this.lists.agents(READY, this.now));
  }
  get talkElapsed(): number[] {
    return (this.k ??= this.lists.agents(TALK, this.now));
  }
  get wrapElapsed(): number[] {
    return (this.w ??= this.lists.agents(WRAP, this.now));
  }
  get ringingElapsed(): number[] {
    return (this.g ??= this.lists.ringing(this.now));
  }
}
