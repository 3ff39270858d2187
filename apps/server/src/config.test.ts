import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const empty = mkdtempSync(join(tmpdir(), 'outdial-cfg-'));

describe('loadConfig', () => {
  it('has safe defaults: loopback, port 8080, embedded database in ./data', () => {
    const c = loadConfig({}, empty);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: join(empty, 'data'),
      unmaskRoles: ['admin', 'supervisor'],
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every bad value at once', () => {
    try {
      loadConfig(
        {
          OUTDIAL_PORT: 'eighty',
          DATABASE_URL: 'mysql://x',
          OUTDIAL_UNMASK_ROLES: 'admin,boss',
          OUTDIAL_DEMO_PASSWORD: 'short',
        },
        empty,
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('OUTDIAL_PORT');
      expect(problems).toContain('DATABASE_URL');
      expect(problems).toContain('boss');
      expect(problems).toContain('OUTDIAL_DEMO_PASSWORD');
    }
  });

  it('reads a config file, the environment wins, unknown keys are errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-cfg-'));
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ port: 9090, sessionTtlHours: 2 }));
    expect(loadConfig({ OUTDIAL_SESSION_TTL_HOURS: '3' }, dir)).toMatchObject({ port: 9090, sessionTtlHours: 3 });
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({}, dir)).toThrow(/unknown setting "prot"/);
    expect(() => loadConfig({ OUTDIAL_CONFIG_FILE: 'nope.json' }, dir)).toThrow(/does not exist/);
  });

  it("takes the simulated carrier's behaviour as a JSON object, from the environment or the file, and says what is wrong with it", () => {
    expect(loadConfig({}, empty).simulatedCarrier).toEqual({});
    expect(
      loadConfig({ OUTDIAL_SIMULATED_CARRIER: '{"personRate":0.6,"meanTalkMs":30000}' }, empty).simulatedCarrier,
    ).toEqual({ personRate: 0.6, meanTalkMs: 30000 });
    const dir = mkdtempSync(join(tmpdir(), 'outdial-cfg-'));
    writeFileSync(join(dir, 'outdial.config.json'), JSON.stringify({ simulatedCarrier: { busyRate: 0.2 } }));
    expect(loadConfig({}, dir).simulatedCarrier).toEqual({ busyRate: 0.2 });
    const problems = (env: string): string => {
      try {
        loadConfig({ OUTDIAL_SIMULATED_CARRIER: env }, empty);
        return '';
      } catch (err) {
        return (err as ConfigError).problems.join('\n');
      }
    };
    expect(problems('personRate=1')).toMatch(/must be a JSON object/);
    expect(problems('[1]')).toMatch(/must be a JSON object/);
    expect(problems('{"answerRate":0.5}')).toMatch(/unknown setting "answerRate" \(known: personRate/);
    expect(problems('{"personRate":1.5,"meanRingMs":-1}')).toMatch(
      /"personRate" must be a number from 0 to 1[\s\S]*"meanRingMs" must be a number from 0 to 3600000/,
    );
    expect(problems('{"personRate":0.8,"machineRate":0.3}')).toMatch(
      /personRate \+ machineRate \+ busyRate \+ failedRate is 1.18; at most 1/,
    );
  });
});
