import {
  ErlangOpenLoopPolicy,
  PowerPolicy,
  PredictivePolicy,
  PreviewPolicy,
  ProgressivePolicy,
  VicidialAdaptivePolicy,
  type DialerSettings,
  type PacingPolicy,
} from '@outdial/domain/pacing';
import { sampler } from './random.ts';
import { distMean, type Scenario } from './scenario.ts';

export const POLICY_NAMES = [
  'preview',
  'progressive',
  'power-1.5',
  'power-2',
  'power-2.5',
  'power-3',
  'vicidial-hard',
  'vicidial-average',
  'vicidial-tapered',
  'erlang',
  'predictive',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(s: string): s is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(s);
}

export function dialerSettings(sc: Scenario): DialerSettings {
  return {
    noAnswerTimeoutS: sc.noAnswerTimeoutSeconds,
    greetingS: sc.greetingSeconds,
    connectWithinS: sc.connectWithinSeconds,
    amdDecisionS: sc.amd.enabled ? (sc.amd.decisionSeconds ?? 0) : 0,
    maxAbandonRate: 0.03,
  };
}

/** Mean person-answer probability over the shift. */
export function meanHumanRate(sc: Scenario): number {
  return sc.answer.humanByHour
    ? sc.answer.humanByHour.reduce((a, b) => a + b, 0) / sc.answer.humanByHour.length
    : (sc.answer.human ?? 0);
}

/** P(ring < no-answer timeout): an answer later than the timeout is a no-answer. */
function answeredInTime(sc: Scenario): number {
  const draw = sampler(sc.ringToAnswerSeconds);
  const n = 2000;
  let k = 0;
  for (let i = 0; i < n; i++) if (draw((i + 0.5) / n) < sc.noAnswerTimeoutSeconds) k++;
  return k / n;
}

/**
 * The Erlang baseline's oracle, hour by hour of the shift: the share of dials that reach an agent
 * — people passed by AMD plus machines passed to agents (no AMD, or its misses) — with the hour's
 * person rate (humanByHour, and any step averaged over the hour).
 */
export function reachRateByHour(sc: Scenario): number[] {
  const hours = Math.max(1, Math.ceil(sc.shift.hoursPerDay));
  const inTime = answeredInTime(sc);
  const out: number[] = [];
  for (let h = 0; h < hours; h++) {
    const byHour = sc.answer.humanByHour;
    const base = byHour ? byHour[Math.min(byHour.length - 1, h)]! : (sc.answer.human ?? 0);
    let human = 0;
    const slices = 60;
    for (let m = 0; m < slices; m++) {
      const at = h + (m + 0.5) / slices;
      let p = base;
      for (const st of sc.answer.steps ?? [])
        if (at >= st.atHour && at < st.atHour + st.durationMinutes / 60) p *= st.factor;
      human += Math.min(p, 1 - sc.answer.machine) / slices;
    }
    const machine = sc.answer.machine;
    const reach = sc.amd.enabled
      ? human * (1 - (sc.amd.falsePositive ?? 0)) + machine * (sc.amd.falseNegative ?? 0)
      : human + machine;
    out.push(Math.max(1e-4, reach * inTime));
  }
  return out;
}

/** A fresh policy per replication: no state carries from one month to the next. */
export function makePolicy(name: PolicyName, sc: Scenario): { policy: PacingPolicy; agentBound: boolean } {
  const settings = dialerSettings(sc);
  switch (name) {
    case 'preview':
      return { policy: new PreviewPolicy(15), agentBound: true };
    case 'progressive':
      return { policy: new ProgressivePolicy(), agentBound: true };
    case 'power-1.5':
      return { policy: new PowerPolicy(1.5), agentBound: false };
    case 'power-2':
      return { policy: new PowerPolicy(2), agentBound: false };
    case 'power-2.5':
      return { policy: new PowerPolicy(2.5), agentBound: false };
    case 'power-3':
      return { policy: new PowerPolicy(3), agentBound: false };
    case 'vicidial-hard':
    case 'vicidial-average':
    case 'vicidial-tapered': {
      const method = name === 'vicidial-hard' ? 'HARD_LIMIT' : name === 'vicidial-average' ? 'AVERAGE' : 'TAPERED';
      const start = sc.shift.startHour * 3600;
      return {
        policy: new VicidialAdaptivePolicy(method, {
          ...settings,
          shiftStartS: start,
          shiftEndS: start + sc.shift.hoursPerDay * 3600,
        }),
        agentBound: false,
      };
    }
    case 'erlang': {
      const breaks = sc.breaks ? sc.breaks.fractionOfAgents * (sc.breaks.minutes / sc.breaks.everyMinutes) : 0;
      const byHour = reachRateByHour(sc);
      const startS = sc.shift.startHour * 3600;
      return {
        policy: new ErlangOpenLoopPolicy({
          agents: Math.max(1, Math.round(sc.agents * (1 - breaks))),
          answerRate: byHour[0]!,
          // The hour of the shift from the simulator's clock (day d's shift starts at d·24 h + start).
          answerRateAt: (t) =>
            byHour[
              Math.min(byHour.length - 1, Math.max(0, Math.floor(((((t - startS) % 86_400) + 86_400) % 86_400) / 3600)))
            ]!,
          meanHandleS: distMean(sc.talkSeconds) + distMean(sc.wrapSeconds),
          target: 0.03,
        }),
        agentBound: false,
      };
    }
    case 'predictive':
      return { policy: new PredictivePolicy(settings), agentBound: false };
  }
}
