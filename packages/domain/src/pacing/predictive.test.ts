import { describe, expect, it } from 'vitest';
import { PredictivePolicy } from './predictive.ts';
import type { PacingSnapshot } from './types.ts';

const settings = {
  noAnswerTimeoutS: 25,
  greetingS: 1,
  connectWithinS: 2,
  amdDecisionS: 0,
  maxAbandonRate: 0.03,
};

function snapshot(t: number, ready: number, talking: number, ringing: number[] = []): PacingSnapshot {
  return {
    now: t,
    agentsActive: ready + talking,
    agentsReady: ready,
    agentsTalking: talking,
    agentsWrap: 0,
    agentsOnBreak: 0,
    readyIdle: Array.from({ length: ready }, () => 1),
    talkElapsed: Array.from({ length: talking }, (_, i) => (i * 7) % 170),
    wrapElapsed: [],
    callsRinging: ringing.length,
    ringingElapsed: ringing,
    callsWaiting: 0,
    callsInAmd: 0,
    callsInProgress: ringing.length + talking,
  };
}

/** A policy that has seen `dials` calls, 5% answered by people after 8 s, talks of 60–300 s, wrap 5 s. */
function warm(dials = 4000) {
  const p = new PredictivePolicy(settings);
  let t = 0;
  for (let i = 0; i < dials; i++) {
    t = i * 0.1;
    p.observe({ type: 'dial', t });
    if (i % 20 === 0) p.observe({ type: 'answer', t: t + 8, human: true, ringS: 8 });
    else p.observe({ type: 'no_answer', t: t + 25, ringS: 25 });
  }
  for (let i = 0; i < 200; i++) {
    p.observe({ type: 'talk_end', t, talkS: 60 + ((i * 37) % 240) });
    p.observe({ type: 'wrap_end', t, wrapS: 5 });
  }
  return { p, t: t + 30 };
}

describe('PredictivePolicy', () => {
  it('dials ahead of ready agents by the estimated answer rate (never fewer than progressive)', () => {
    const { p, t } = warm();
    // 20 ready agents, nothing ringing: about 20 ÷ 5% calls, less a margin for the chance of overshoot.
    const d = p.decide(snapshot(t, 20, 80)).dials;
    expect(d).toBeGreaterThan(100);
    expect(d).toBeLessThan(20 / 0.05);
    expect(p.status().mode).toBe('predictive');
    // Calls already ringing for them count: 400 young calls cover the same 20 agents.
    expect(
      p.decide(
        snapshot(
          t + 1,
          20,
          80,
          Array.from({ length: 400 }, () => 1),
        ),
      ).dials,
    ).toBeLessThan(d / 4);
  });

  it('caps one decision at the ramp limit: the ready agents plus a quarter of the team, in expected answers', () => {
    const { p, t } = warm();
    const d = p.decide(snapshot(t, 100, 0)).dials;
    // r ≈ 5%: at most (100 + 25 + 1) / r calls however confident the forecast.
    expect(d).toBeLessThanOrEqual(Math.ceil(126 / 0.045));
    expect(d).toBeGreaterThan(100);
  });

  it('with few observations the uncertainty keeps the batch small', () => {
    const sure = warm(4000);
    const unsure = warm(200);
    const a = sure.p.decide(snapshot(sure.t, 20, 80)).dials;
    const b = unsure.p.decide(snapshot(unsure.t, 20, 80)).dials;
    expect(b).toBeGreaterThanOrEqual(20);
    // The point estimates differ by under 8% (5.0% and 5.4%); the rest is the uncertainty.
    expect(b).toBeLessThan(0.85 * a);
  });

  it('dials progressively once the period has spent its abandon budget, and says why', () => {
    const { p, t } = warm();
    for (let i = 0; i < 10; i++) p.observe({ type: 'abandon', t });
    // 200 people answered, 10 abandoned: 5% > 3% — only calls for ready agents with nothing ringing.
    expect(p.decide(snapshot(t, 5, 95)).dials).toBe(5);
    expect(p.decide(snapshot(t + 1, 0, 100)).dials).toBe(0);
    expect(p.status()).toMatchObject({ mode: 'progressive' });
    expect(p.status().reason).toMatch(/abandon budget/);
  });
});
