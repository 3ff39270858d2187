import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './scenario.ts';
import { runBench, runPacingBenchCli } from './bench.ts';

const TINY = {
  name: 'tiny',
  agents: 6,
  shift: { days: 2, hoursPerDay: 4, startHour: 9 },
  replications: 2,
  seed: 5,
  answer: { human: 0.25, machine: 0.05 },
  ringToAnswerSeconds: { dist: 'lognormal', mean: 7, cv: 0.5 },
  noAnswerTimeoutSeconds: 20,
  greetingSeconds: 1,
  connectWithinSeconds: 2,
  talkSeconds: { dist: 'exponential', mean: 90 },
  wrapSeconds: { dist: 'constant', mean: 10 },
  amd: { enabled: false },
};

describe('scenario files', () => {
  it('accept the format and refuse bad files with every problem', () => {
    expect(parseScenario(TINY).agents).toBe(6);
    try {
      parseScenario({
        ...TINY,
        agents: 0,
        talkSeconds: { dist: 'gamma', mean: 1 },
        answer: { human: 0.9, machine: 0.2 },
        amd: {},
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioError);
      const msg = (err as Error).message;
      for (const part of ['agents', 'talkSeconds.dist', 'human + machine', 'amd.enabled']) expect(msg).toContain(part);
    }
  });
});

describe('the pacing benchmark', () => {
  it('is reproducible and uses common random numbers', () => {
    const sc = parseScenario(TINY);
    const a = runBench(sc, ['progressive', 'power-2']);
    const b = runBench(sc, ['progressive', 'power-2']);
    expect(a.results).toEqual(b.results);
    // Same leads, same order: the first dials of two policies meet identical leads, so
    // progressive (which dials fewer) consumes a prefix of power-2's lead sequence.
    expect(a.results[0]!.leadsPerReplication).toBeLessThan(a.results[1]!.leadsPerReplication);
  });

  it('prints one JSON object in the documented shape, and refuses unknown policies and bad files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-bench-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(TINY));
    let out = '';
    await runPacingBenchCli({ scenario: file, policies: ['progressive', 'predictive'], json: true }, (t) => {
      out += t;
    });
    const r = JSON.parse(out) as {
      scenario: string;
      results: {
        policy: string;
        occupancy: number;
        abandon: { mean: number; p95: number; shareOver3pct: number; worstDay: number };
      }[];
      bounds: { u1: number };
    };
    expect(r.scenario).toBe('tiny');
    expect(r.results.map((x) => x.policy)).toEqual(['progressive', 'predictive']);
    expect(r.results[0]).toMatchObject({
      occupancy: expect.any(Number),
      talkMinutesPerAgentHour: expect.any(Number),
      idleWaitPerConnectS: expect.any(Number),
      connectsPerAgentHour: expect.any(Number),
      dialsPerHour: expect.any(Number),
      abandon: { mean: 0, p95: 0, shareOver3pct: 0, worstDay: 0 },
    });
    expect(r.bounds.u1).toBeCloseTo(90 / 100, 5);
    await expect(runPacingBenchCli({ scenario: file, policies: ['magic'] }, () => undefined)).rejects.toThrow(
      /unknown policy magic/,
    );
    writeFileSync(file, '{ not json');
    await expect(runPacingBenchCli({ scenario: file }, () => undefined)).rejects.toThrow(/not JSON/);
    await expect(runPacingBenchCli({ scenario: join(dir, 'missing.json') }, () => undefined)).rejects.toThrow(
      /cannot read/,
    );
  });
});
