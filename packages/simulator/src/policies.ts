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

/** Mean person-answer probability over the shift (the Erlang baseline is told it). */
export function meanHumanRate(sc: Scenario): number {
  return sc.answer.humanByHour
    ? sc.answer.humanByHour.reduce((a, b) => a + b, 0) / sc.answer.humanByHour.length
    : (sc.answer.human ?? 0);
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
      return {
        policy: new ErlangOpenLoopPolicy({
          agents: Math.max(1, Math.round(sc.agents * (1 - breaks))),
          answerRate: meanHumanRate(sc),
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
