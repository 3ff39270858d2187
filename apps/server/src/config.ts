import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Role } from '@outdial/db';
import { defaultSimulatedCarrier, type SimulatedCarrierConfig } from '@outdial/telephony/simulated';
import { telephonySetting, type TelephonyConfig } from './telephony-config.ts';

/**
 * Configuration is read once at start from the environment and an optional JSON file
 * (OUTDIAL_CONFIG_FILE, or ./outdial.config.json when present; the environment wins),
 * checked as a whole, frozen and passed down. A bad value stops the start with the
 * full list of problems.
 */
export interface Config {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  demoPassword: string | undefined;
  sessionTtlHours: number;
  maxCustomFields: number;
  unmaskRoles: Role[];
  loginRateLimitPerMinute: number;
  /** Complete-number lookups a day for users who see masked numbers (each audited). */
  maskedLookupsPerDay: number;
  maxRunningImports: number;
  maxUploadMb: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** JSON lines (for log collectors), or pretty text for a person; `auto`: pretty on a terminal. */
  logFormat: 'auto' | 'json' | 'pretty';
  /**
   * Behind a reverse proxy: trust its X-Forwarded-For for the client's address (login throttling,
   * audit rows). `false` (default), `true` (any), or a comma-separated list of proxy addresses/CIDRs.
   */
  trustProxy: boolean | string[];
  /** Demo mode: how many of the demo agents (from agent20 down) the simulator plays. */
  simulatedAgents: number;
  /** Demo mode: how the simulated carrier's callees behave — overrides of `defaultSimulatedCarrier`. */
  simulatedCarrier: Partial<SimulatedCarrierConfig>;
  /** Which carrier places the calls (simulated unless configured): see docs/telephony.md. */
  telephony: TelephonyConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

const KEYS: Record<keyof Config, string> = {
  host: 'OUTDIAL_HOST',
  port: 'OUTDIAL_PORT',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'OUTDIAL_DATA_DIR',
  demoPassword: 'OUTDIAL_DEMO_PASSWORD',
  sessionTtlHours: 'OUTDIAL_SESSION_TTL_HOURS',
  maxCustomFields: 'OUTDIAL_MAX_CUSTOM_FIELDS',
  unmaskRoles: 'OUTDIAL_UNMASK_ROLES',
  loginRateLimitPerMinute: 'OUTDIAL_LOGIN_RATE_LIMIT',
  maskedLookupsPerDay: 'OUTDIAL_MASKED_LOOKUPS_PER_DAY',
  maxRunningImports: 'OUTDIAL_MAX_RUNNING_IMPORTS',
  maxUploadMb: 'OUTDIAL_MAX_UPLOAD_MB',
  logLevel: 'OUTDIAL_LOG_LEVEL',
  logFormat: 'OUTDIAL_LOG_FORMAT',
  trustProxy: 'OUTDIAL_TRUST_PROXY',
  simulatedAgents: 'OUTDIAL_SIMULATED_AGENTS',
  simulatedCarrier: 'OUTDIAL_SIMULATED_CARRIER',
  telephony: 'OUTDIAL_TELEPHONY',
};

const CARRIER_RATES = [
  'personRate',
  'machineRate',
  'busyRate',
  'failedRate',
  'amdFalsePositive',
  'amdFalseNegative',
  'ivrAgentKeyRate',
  'ivrDncKeyRate',
] as const;
const CARRIER_TIMES = [
  'meanRingMs',
  'meanRejectMs',
  'amdDecisionMs',
  'meanTalkMs',
  'customerPatienceMs',
  'abandonMessageMs',
  'ivrKeyMs',
] as const;

/** `OUTDIAL_SIMULATED_CARRIER`: a JSON object of rates (0–1) and times (ms) overriding the simulated carrier's defaults. */
function carrierSetting(raw: string | undefined, problems: string[]): Partial<SimulatedCarrierConfig> {
  const key = 'OUTDIAL_SIMULATED_CARRIER';
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${key}: must be a JSON object such as {"personRate":0.5,"meanTalkMs":60000}`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${key}: must be a JSON object such as {"personRate":0.5,"meanTalkMs":60000}`);
    return {};
  }
  const out: Partial<SimulatedCarrierConfig> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const rate = (CARRIER_RATES as readonly string[]).includes(k);
    const time = (CARRIER_TIMES as readonly string[]).includes(k);
    if (!rate && !time) {
      problems.push(`${key}: unknown setting "${k}" (known: ${[...CARRIER_RATES, ...CARRIER_TIMES].join(', ')})`);
      continue;
    }
    const max = rate ? 1 : 3_600_000;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
      problems.push(
        `${key}: "${k}" must be a number from 0 to ${max}${rate ? ' (a share of calls)' : ' (milliseconds)'}`,
      );
      continue;
    }
    out[k as keyof SimulatedCarrierConfig] = v;
  }
  const merged = { ...defaultSimulatedCarrier, ...out };
  const fates = merged.personRate + merged.machineRate + merged.busyRate + merged.failedRate;
  if (fates > 1 + 1e-9)
    problems.push(
      `${key}: personRate + machineRate + busyRate + failedRate is ${Number(fates.toFixed(4))}; at most 1 (the rest ring out)`,
    );
  return out;
}

function fileSource(env: Source, cwd: string): { source: Source; problems: string[] } {
  const explicit = env['OUTDIAL_CONFIG_FILE'];
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, 'outdial.config.json');
  if (!existsSync(path))
    return { source: {}, problems: explicit ? [`OUTDIAL_CONFIG_FILE: ${path} does not exist`] : [] };
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { source: {}, problems: [`${path}: must hold a JSON object`] };
    const out: Source = {};
    const problems: string[] = [];
    for (const [k, v] of Object.entries(parsed)) {
      const key = (KEYS as Record<string, string>)[k];
      if (!key) problems.push(`${path}: unknown setting "${k}" (known: ${Object.keys(KEYS).join(', ')})`);
      else
        out[key] = Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    }
    return { source: out, problems };
  } catch (err) {
    return { source: {}, problems: [`${path}: ${(err as Error).message}`] };
  }
}

export function loadConfig(env: Source = process.env, cwd = process.cwd()): Readonly<Config> {
  const file = fileSource(env, cwd);
  const src: Source = {
    ...file.source,
    ...Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('OUTDIAL_') || k === 'DATABASE_URL')),
  };
  const problems = [...file.problems];
  const int = (key: string, def: number, min: number, max: number): number => {
    const raw = src[key];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key}=${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const databaseUrl = src['DATABASE_URL'] || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push('DATABASE_URL: must start with postgres:// or postgresql://');
  const host = src['OUTDIAL_HOST'] || '127.0.0.1';
  const demoPassword = src['OUTDIAL_DEMO_PASSWORD'] || undefined;
  if (demoPassword !== undefined && demoPassword.length < 8)
    problems.push('OUTDIAL_DEMO_PASSWORD: at least 8 characters');
  const roles: Role[] = ['admin', 'supervisor', 'qa', 'agent'];
  const unmaskRaw = src['OUTDIAL_UNMASK_ROLES'];
  const unmaskRoles = (unmaskRaw ?? 'admin,supervisor')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const badRoles = unmaskRoles.filter((r) => !roles.includes(r as Role));
  if (badRoles.length)
    problems.push(`OUTDIAL_UNMASK_ROLES: unknown roles ${badRoles.join(', ')} (known: ${roles.join(', ')})`);
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  const logLevel = (src['OUTDIAL_LOG_LEVEL'] || 'info') as Config['logLevel'];
  if (!levels.includes(logLevel)) problems.push(`OUTDIAL_LOG_LEVEL: one of ${levels.join(', ')}`);
  const formats = ['auto', 'json', 'pretty'] as const;
  const logFormat = (src['OUTDIAL_LOG_FORMAT'] || 'auto') as Config['logFormat'];
  if (!formats.includes(logFormat)) problems.push(`OUTDIAL_LOG_FORMAT: one of ${formats.join(', ')}`);
  const proxyRaw = (src['OUTDIAL_TRUST_PROXY'] ?? '').trim();
  const trustProxy: boolean | string[] =
    proxyRaw === '' || proxyRaw === 'false'
      ? false
      : proxyRaw === 'true'
        ? true
        : proxyRaw
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
  if (Array.isArray(trustProxy) && trustProxy.some((x) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(x)))
    problems.push('OUTDIAL_TRUST_PROXY: true, false, or a comma-separated list of addresses or CIDRs');
  const cfg: Config = {
    host,
    port: int('OUTDIAL_PORT', 8080, 0, 65535),
    databaseUrl,
    dataDir: resolve(cwd, src['OUTDIAL_DATA_DIR'] || 'data'),
    demoPassword,
    sessionTtlHours: int('OUTDIAL_SESSION_TTL_HOURS', 12, 1, 24 * 30),
    maxCustomFields: int('OUTDIAL_MAX_CUSTOM_FIELDS', 20, 1, 200),
    unmaskRoles: unmaskRoles as Role[],
    loginRateLimitPerMinute: int('OUTDIAL_LOGIN_RATE_LIMIT', 10, 1, 10_000),
    maskedLookupsPerDay: int('OUTDIAL_MASKED_LOOKUPS_PER_DAY', 200, 0, 1_000_000),
    maxRunningImports: int('OUTDIAL_MAX_RUNNING_IMPORTS', 4, 1, 64),
    maxUploadMb: int('OUTDIAL_MAX_UPLOAD_MB', 1024, 1, 100_000),
    logLevel,
    logFormat,
    trustProxy,
    simulatedAgents: int('OUTDIAL_SIMULATED_AGENTS', 10, 0, 20),
    simulatedCarrier: carrierSetting(src['OUTDIAL_SIMULATED_CARRIER'], problems),
    telephony: telephonySetting(src['OUTDIAL_TELEPHONY'], problems, cwd, src['OUTDIAL_AGENT_SIP_WS_URL']),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(cfg);
}
