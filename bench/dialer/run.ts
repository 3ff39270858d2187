/**
 * Live-dialer benchmark (target: "With the simulated carrier: 10,000 concurrent calls and
 * ≥ 500 call attempts/s sustained on this 2-core machine against real PostgreSQL, event-loop lag
 * p99 < 100 ms, all outcomes persisted").
 *
 *   npm run bench:dialer -- [--duration 60] [--rate 500] [--agents 2500] [--contacts 300000] [--quick]
 *                           [--cps N] [--mode predictive|power] [--lines 5] [--pool 10]
 *                           [--ring 21] [--talk 20] [--wrap 5] [--drain S] [--ramp S]
 *                           [--ring-mean-ms 500] [--explain] [--url postgres://postgres@127.0.0.1:5432]
 *
 * It creates a fresh database `bench_dialer_<pid>` (dropped at the end, also on failure or
 * Ctrl-C), migrates it, seeds an organisation, a project callable 24/7 with short retry delays,
 * `--contacts` contacts (one INSERT … SELECT generate_series), `--agents` agent users and a
 * running campaign, and runs the engine's `Dialer` with the `SimulatedCarrier` on the real
 * clock (`realScheduler`) and a `SimulatedAgents` crew, exactly as the server wires them. After
 * `--duration` seconds the campaign is paused, calls drain, and the harness checks that every
 * outcome was persisted (exit code 1 if not). Performance targets are reported, never enforced.
 *
 * Carrier timings (Little's law, concurrency ≈ rate × mean call lifetime): 85% of dials ring
 * out at the campaign's ring timeout (21 s), 10% are answered by a person after ~1 s and talk
 * for 20 s on average, 5% are busy/failed after ~1.5 s — a mean lifetime of ≈ 20 s, so 500
 * attempts/s hold ≈ 10,000 calls in progress. 50 answers/s × (20 s talk + 5 s wrap) keep
 * ≈ 1,250 agents busy, so 2,500 agents leave headroom and nothing is abandoned.
 * Persons answer at the carrier's 1-s floor (`--ring-mean-ms 500`): when the governor's answer
 * rate counted still-ringing dials, a large team's first burst read as a ~1.5% answer rate and
 * dropped the campaign to progressive within seconds (`--ring-mean-ms 7000` showed it); kept
 * short so the run measures throughput, not the warm-up.
 *
 * Prints a table and, on the last line, a JSON summary (per-statement timings included).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { migrate, openPostgres, Repositories } from '@outdial/db';
import {
  defaultCampaignSettings,
  validateCampaignSettings,
  type CampaignSettings,
  type DialMode,
} from '@outdial/domain/campaigns';
import { defaultProjectRules, type ProjectRules } from '@outdial/domain/projects';
import {
  AttemptRecorder,
  CampaignService,
  Dialer,
  SimulatedAgents,
  realScheduler,
  systemClock,
  type DialerEvent,
  type TelephonyEvent,
} from '@outdial/engine';
import { sfc32 } from '@outdial/simulator';
import { SimulatedCarrier, defaultSimulatedCarrier, type SimulatedCarrierConfig } from '@outdial/telephony/simulated';
import { Timings, timeMethods, timedDatabase, type TimingRow } from './instrument.ts';

// ───────────────────────────── options ─────────────────────────────

const argv = process.argv.slice(2);
const has = (name: string) => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const num = (name: string, def: number): number => {
  const v = opt(name);
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) {
    console.error(`--${name} must be a positive number (got "${v}")`);
    process.exit(2);
  }
  return x;
};

const QUICK = has('quick');
const DURATION_S = num('duration', QUICK ? 15 : 60);
// The default asks 10% above the 500/s target: a calls-per-second cap of exactly 500 measures 499.x.
const RATE = num('rate', QUICK ? 200 : 550);
const AGENTS = Math.round(num('agents', QUICK ? 1500 : 2500));
const CPS = num('cps', RATE);
const MODE = (opt('mode') ?? 'predictive') as DialMode;
const LINES = num('lines', 5);
const POOL = Math.round(num('pool', 10));
const RING_S = Math.round(num('ring', 21));
const TALK_S = num('talk', 20);
const WRAP_S = num('wrap', 5);
const DRAIN_S = num('drain', RING_S + 10);
const RAMP_S = num('ramp', Math.min(20, Math.floor(DURATION_S / 3)));
const WINDOW_S = DURATION_S >= 30 ? 10 : 5;
const CONTACTS = Math.round(num('contacts', Math.max(QUICK ? 30_000 : 300_000, Math.ceil(RATE * DURATION_S * 1.5))));
/** After the run: EXPLAIN ANALYZE the costliest statements and time batched alternatives. */
const EXPLAIN = has('explain');
const BASE_URL = opt('url') ?? process.env['OUTDIAL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
/** Targets: the issue's at 500/s; a smaller run scales the concurrency target with its rate. */

const CARRIER: SimulatedCarrierConfig = {
  ...defaultSimulatedCarrier,
  personRate: 0.1,
  machineRate: 0,
  busyRate: 0.03,
  failedRate: 0.02,
  // Persons answer at the carrier's 1-s floor mostly: see the header on the governor's answer-rate check.
  meanRingMs: num('ring-mean-ms', 500),
  meanRejectMs: 1500,
  amdDecisionMs: 0,
  meanTalkMs: TALK_S * 1000,
  customerPatienceMs: 8000,
  abandonMessageMs: 4000,
};
/** Mean lifetime of a call, s: what Little's law multiplies the rate by. */
const MEAN_LIFETIME_S = (() => {
  const c = CARRIER;
  const ring = 1 + (c.meanRingMs / 1000) * Math.exp(-1000 / c.meanRingMs); // E[max(1 s, Exp(mean))], s
  const noAnswer = 1 - c.personRate - c.machineRate - c.busyRate - c.failedRate;
  return (
    0.05 + noAnswer * RING_S + c.personRate * (ring + TALK_S) + (c.busyRate + c.failedRate) * (c.meanRejectMs / 1000)
  );
})();
/**
 * The issue's targets (500 attempts/s, 10,000 concurrent calls). A --quick run (CI) is too short
 * for calls to pile up to Little's-law concurrency and its predictive pacing may ask for a little
 * less than the cap: it is judged at 90% of its rate and 60% of the calls that can be in flight by then.
 */
const TARGET = QUICK
  ? {
      rate: Math.round(RATE * 0.9),
      concurrent: Math.round(RATE * Math.min(DURATION_S, MEAN_LIFETIME_S) * 0.6),
      lagP99Ms: 100,
    }
  : { rate: 500, concurrent: 10_000, lagP99Ms: 100 };

const RULES: ProjectRules = {
  ...defaultProjectRules(),
  callingWindows: Object.fromEntries(
    ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '00:00', end: '24:00' }]]),
  ) as ProjectRules['callingWindows'],
  retryDelaysMinutes: { busy: 1, noAnswer: 1, machine: 1, abandoned: 72 * 60, failed: 1 },
};

// ───────────────────────────── helpers ─────────────────────────────

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function dbUrl(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** CPU ticks (user + system) of a process from /proc; null where /proc is not readable. */
const CLK_TCK = 100;
function procTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Pids of every postgres process on this machine (all databases: other users' load, the WAL writer…). */
function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU used by a set of processes between two instants, from per-pid first/last readings (processes may come and go). */
class CpuTracker {
  private readonly pids = new Map<number, { first: number; last: number }>();
  sample(pids: readonly number[]): void {
    for (const pid of pids) {
      const t = procTicks(pid);
      if (t === null) continue;
      const e = this.pids.get(pid);
      if (e) e.last = t;
      else this.pids.set(pid, { first: t, last: t });
    }
  }
  seconds(): number {
    return [...this.pids.values()].reduce((a, e) => a + (e.last - e.first), 0) / CLK_TCK;
  }
}

// ───────────────────────────── the run ─────────────────────────────

interface Sample {
  t: number;
  active: number;
  placed: number;
  ended: number;
  ready: number;
  busy: number;
  mode: string;
  inFlightMax: number;
  nodeCpu: number;
  sampleLateMs: number;
}

interface Tick {
  start: number;
  leaseMs: number;
  requested: number;
  leased: number;
  placed: number;
  lastPlaced: number;
}

async function run(url: string, dbName: string): Promise<number> {
  const log = (m: string) => console.error(m);
  const timings = new Timings();
  const raw = await openPostgres(url, { max: POOL });
  const { db, inFlight, examples } = timedDatabase(raw, timings);
  const mon = new pg.Client({ connectionString: url });
  mon.on('error', () => undefined); // monitoring only: a lost monitor connection shows as missing samples
  await mon.connect();
  try {
    // ── setup ──
    const s0 = performance.now();
    await migrate(raw);
    const repos = new Repositories(db);
    const orgId = await repos.users.createOrganisation('bench');
    const project = await repos.projects.create(orgId, {
      code: 'DIAL',
      name: 'dialer bench',
      description: '',
      defaultRegion: 'CN',
      defaultTimezone: 'Asia/Shanghai',
      rules: RULES,
      callerIds: ['+861088880000'],
    });
    const c0 = performance.now();
    // Time-ordered ids like the importer's (UUID v7 layout), distinct valid E.164 mobiles +86138xxxxxxxx.
    await raw.query(
      `INSERT INTO contacts (id, org_id, project_id, name, phone, phones, timezone, region)
       SELECT (lpad(to_hex($3::bigint), 12, '0') || '7' || substr(x.h, 1, 3) || '8' || substr(x.h, 4, 3) || substr(x.h, 7, 2) || substr(md5(i::text), 1, 10))::uuid,
              $1, $2, '客户' || i, x.p, ARRAY[x.p], 'Asia/Shanghai', 'CN'
         FROM generate_series(0, $4::int - 1) AS i,
              LATERAL (SELECT lpad(to_hex(i), 8, '0') AS h, '+86138' || lpad(i::text, 8, '0') AS p) AS x`,
      [orgId, project.id, Date.now(), CONTACTS],
    );
    const agentRows = await raw.query<{ id: string }>(
      `INSERT INTO users (org_id, username, display_name, role, password_hash)
       SELECT $1, 'bench-agent-' || i, 'Agent ' || i, 'agent', 'x' FROM generate_series(1, $2::int) AS i RETURNING id`,
      [orgId, AGENTS],
    );
    await raw.exec('VACUUM ANALYZE contacts');
    await raw.exec('VACUUM ANALYZE users');
    const seedS = (performance.now() - c0) / 1000;
    const settings: CampaignSettings = {
      ...defaultCampaignSettings(),
      dialMode: MODE,
      linesPerAgent: LINES,
      maxCallsPerSecond: CPS,
      ringTimeoutSeconds: RING_S,
      amd: false,
    };
    const issues = validateCampaignSettings(settings);
    if (issues.length) {
      log(
        `campaign settings refused by validateCampaignSettings (domain/campaigns):\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
      );
      return 2;
    }
    const campaign = await repos.campaigns.create({
      orgId,
      projectId: project.id,
      name: 'bench',
      settings,
      createdBy: null,
    });
    log(
      `database ${dbName}: migrated and seeded ${fmt(CONTACTS)} contacts and ${fmt(AGENTS)} agents in ${((performance.now() - s0) / 1000).toFixed(1)} s (contacts + agents + VACUUM ANALYZE ${seedS.toFixed(1)} s)`,
    );
    log(
      `mode ${MODE}${MODE === 'power' ? ` ×${LINES}` : ''}, maxCallsPerSecond ${CPS}, ring timeout ${RING_S} s, talk ${TALK_S} s, wrap ${WRAP_S} s, pool ${POOL}; ` +
        `carrier: ${CARRIER.personRate * 100}% person (ring ≥ 1 s, mean ~${(1 + (CARRIER.meanRingMs / 1000) * Math.exp(-1000 / CARRIER.meanRingMs)).toFixed(1)} s), ${(CARRIER.busyRate + CARRIER.failedRate) * 100}% busy/failed, rest ring out; ` +
        `mean call lifetime ≈ ${MEAN_LIFETIME_S.toFixed(1)} s → at ${RATE}/s ≈ ${fmt(RATE * MEAN_LIFETIME_S)} concurrent (Little's law)`,
    );

    // ── the dialer, wired as apps/server/src/dialer.ts does, plus timers around the repositories ──
    const recorder = new AttemptRecorder(repos, systemClock);
    const campaigns = new CampaignService(repos, systemClock);
    const errors: string[] = [];
    const onError = (where: string) => (method: string, err: unknown) => {
      if (errors.length < 20) errors.push(`${where}.${method}: ${err instanceof Error ? err.message : String(err)}`);
    };
    const ticks: Tick[] = [];
    let dialing = false;
    timeMethods('repos.campaigns', repos.campaigns, timings, {
      before: (m, args) => {
        if (m !== 'lease' || !dialing) return;
        const a = args[0] as { limit: number };
        ticks.push({ start: performance.now(), leaseMs: 0, requested: a.limit, leased: 0, placed: 0, lastPlaced: 0 });
      },
      after: (m, r, ms) => {
        if (m !== 'lease' || !dialing) return;
        const t = ticks.at(-1);
        if (t) {
          t.leaseMs = ms;
          t.leased = (r as unknown[]).length;
        }
      },
      error: onError('repos.campaigns'),
    });
    timeMethods('repos.attempts', repos.attempts, timings, { error: onError('repos.attempts') });
    timeMethods('repos.dnc', repos.dnc, timings, { error: onError('repos.dnc') });
    timeMethods('repos.projects', repos.projects, timings, { error: onError('repos.projects') });
    timeMethods('AttemptRecorder', recorder, timings, { error: onError('AttemptRecorder') });

    const carrier = new SimulatedCarrier(CARRIER, realScheduler, sfc32(7));
    const dialer = new Dialer({
      repos,
      telephony: carrier,
      scheduler: realScheduler,
      attempts: recorder,
      campaigns,
      runner: { random: sfc32(11) },
    });
    const wrapRand = sfc32(13);
    const agents = new SimulatedAgents(dialer, realScheduler, () => WRAP_S * 1000 * (0.6 + 0.8 * wrapRand()));
    agents.login(agentRows.map((a) => ({ id: a.id, orgId, skills: {} })));

    // Everything the dialer publishes, counted.
    let placed = 0;
    let ended = 0;
    let connected = 0;
    let alreadyRecorded = 0;
    const endedIds = new Set<string>();
    const outcomes: Record<string, number> = {};
    const refusals: Record<string, number> = {};
    const modeChanges: string[] = [];
    dialer.bus.subscribe((e: DialerEvent) => {
      switch (e.type) {
        case 'CallPlaced': {
          placed++;
          const t = ticks.at(-1);
          if (t) {
            t.placed++;
            t.lastPlaced = performance.now();
          }
          return;
        }
        case 'CallEnded':
          ended++;
          endedIds.add(e.attemptId);
          outcomes[e.outcome] = (outcomes[e.outcome] ?? 0) + 1;
          if (e.next === 'already_recorded') alreadyRecorded++;
          return;
        case 'CallConnected':
          connected++;
          return;
        case 'DialRefused':
          refusals[e.code] = (refusals[e.code] ?? 0) + 1;
          return;
        case 'ModeChanged':
          modeChanges.push(
            `${((performance.now() - tStart) / 1000).toFixed(1)} s: ${e.from} → ${e.to} (${e.reason}: ${e.detail})`,
          );
          log(`  mode change: ${modeChanges.at(-1)}`);
          return;
        default:
      }
    });
    // Calls the carrier still holds (for the forced end of the drain).
    const live = new Map<string, 'ringing' | 'answered'>();
    carrier.subscribe((e: TelephonyEvent) => {
      if (e.type === 'ringing') live.set(e.callId, 'ringing');
      else if (e.type === 'answered') live.set(e.callId, 'answered');
      else if (e.type === 'ended') live.delete(e.callId);
    });

    // ── measure ──
    const lag = monitorEventLoopDelay({ resolution: 10 });
    const lagWindow = monitorEventLoopDelay({ resolution: 10 });
    const samples: Sample[] = [];
    const windowLagP99: number[] = [];
    // Backends of this database (the pool's connections), and every postgres process, sampled every second.
    const pgOurs = new CpuTracker();
    const pgAll = new CpuTracker();
    let monBusy = false;
    const samplePg = async () => {
      if (monBusy) return;
      monBusy = true;
      try {
        pgAll.sample(postgresPids());
        const rows = (
          await mon.query<{ pid: number }>(
            'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [dbName],
          )
        ).rows;
        pgOurs.sample(rows.map((r) => r.pid));
      } catch {
        // monitoring only
      } finally {
        monBusy = false;
      }
    };

    await repos.campaigns.setStatus(orgId, campaign.id, 'draft', 'running', new Date());
    const cpu0 = process.cpuUsage();
    const m0 = machineTicks();
    await samplePg();
    lag.enable();
    lagWindow.enable();
    const tStart = performance.now();
    const wallStart = new Date();
    dialing = true;
    await dialer.sync();
    // The server's sync loop (apps/server/src/dialer.ts): every 2 s.
    let syncing = false;
    const syncTimer = setInterval(() => {
      if (syncing) return;
      syncing = true;
      void dialer
        .sync()
        .catch((err: unknown) => onError('Dialer')('sync', err))
        .finally(() => (syncing = false));
    }, 2000);
    let lastCpu = process.cpuUsage();
    let lastSample = performance.now();
    const sampler = setInterval(() => {
      const nowMs = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      lastCpu = process.cpuUsage();
      const counts = dialer.desk.counts();
      samples.push({
        t: (nowMs - tStart) / 1000,
        active: carrier.activeCalls,
        placed,
        ended,
        ready: counts.ready,
        busy: counts.reserved + counts.talking + counts.wrap_up,
        mode: dialer.stats(campaign.id)?.mode ?? '-',
        inFlightMax: inFlight.takeMax(),
        nodeCpu: (cpu.user + cpu.system) / 1000 / (nowMs - lastSample),
        sampleLateMs: nowMs - lastSample - 1000,
      });
      lastSample = nowMs;
      if (samples.length % WINDOW_S === 0) {
        windowLagP99.push(lagWindow.percentile(99) / 1e6);
        lagWindow.reset();
      }
      void samplePg();
      const s = samples.at(-1)!;
      if (samples.length % 5 === 0)
        log(
          `  ${s.t.toFixed(0)} s: ${fmt(s.placed)} placed, ${fmt(s.active)} in progress, ${fmt(s.ready)} agents ready, mode ${s.mode}, node CPU ${(s.nodeCpu * 100).toFixed(0)}%, db ops in flight ≤ ${s.inFlightMax}`,
        );
    }, 1000);

    await sleep(DURATION_S * 1000);

    // ── stop dialing ──
    dialing = false;
    const dialS = (performance.now() - tStart) / 1000;
    const stopAt = new Date();
    const cpuDial = process.cpuUsage(cpu0);
    const m1 = machineTicks();
    await samplePg();
    lag.disable();
    lagWindow.disable();
    clearInterval(sampler);
    clearInterval(syncTimer);
    while (syncing) await sleep(10);
    const pgBackendS = pgOurs.seconds();
    const timingRows = timings.rows(dialS);
    const stats = dialer.stats(campaign.id);
    const rssMB = Math.round(process.memoryUsage().rss / 1e6);
    await repos.campaigns.setStatus(orgId, campaign.id, 'running', 'paused', new Date());
    await dialer.sync();
    log(
      `stopped dialing after ${dialS.toFixed(1)} s; draining ${fmt(carrier.activeCalls)} calls (up to ${DRAIN_S} s, then the rest are hung up)`,
    );
    const d0 = performance.now();
    while (carrier.activeCalls > 0 && performance.now() - d0 < DRAIN_S * 1000) await sleep(200);
    let forced = 0;
    for (const [id, phase] of live) {
      carrier.hangup(id, phase === 'answered' ? 'agent_hangup' : 'cancelled');
      forced++;
    }
    await dialer.idle();
    for (let i = 0; i < 100 && (ended < placed || carrier.activeCalls > 0); i++) {
      await sleep(100);
      await dialer.idle();
    }
    const drainS = (performance.now() - d0) / 1000;
    await dialer.stop();
    agents.dispose();

    // ── what the database holds ──
    const q = async <R extends object>(text: string, params: unknown[] = []) => (await mon.query<R>(text, params)).rows;
    const cid = campaign.id;
    const [tot] = await q<{ rows: number; open: number; inDial: number }>(
      `SELECT count(*)::int AS rows, count(*) FILTER (WHERE ended_at IS NULL OR outcome IS NULL)::int AS open,
              count(*) FILTER (WHERE placed_at < $2)::int AS "inDial" FROM call_attempts WHERE campaign_id = $1`,
      [cid, stopAt],
    );
    const windows = await q<{ w: number; n: number }>(
      `SELECT floor(extract(epoch FROM placed_at - $2::timestamptz) / $3)::int AS w, count(*)::int AS n
         FROM call_attempts WHERE campaign_id = $1 AND placed_at < $4 GROUP BY 1 ORDER BY 1`,
      [cid, wallStart, WINDOW_S, stopAt],
    );
    const [twoOpen] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT contact_id FROM call_attempts WHERE campaign_id = $1 AND ended_at IS NULL GROUP BY contact_id HAVING count(*) > 1) x`,
      [cid],
    );
    const [overlap] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         SELECT placed_at, lag(id) OVER w AS prev_id, lag(ended_at) OVER w AS prev_end
           FROM call_attempts WHERE campaign_id = $1 WINDOW w AS (PARTITION BY contact_id ORDER BY placed_at, id)) x
        WHERE prev_id IS NOT NULL AND (prev_end IS NULL OR placed_at < prev_end)`,
      [cid],
    );
    const [counted] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM contacts k JOIN (SELECT contact_id, count(*)::int AS n FROM call_attempts WHERE campaign_id = $1 GROUP BY 1) a ON a.contact_id = k.id
        WHERE k.attempts <> a.n`,
      [cid],
    );
    const [leases] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE lease_owner = $1`, [cid]);
    const dbOutcomes = await q<{ outcome: string | null; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM call_attempts WHERE campaign_id = $1 GROUP BY 1 ORDER BY 2 DESC`,
      [cid],
    );

    // ── report ──
    const win = windows.map((w) => ({
      from: w.w * WINDOW_S,
      n: w.n,
      rate: w.n / Math.min(WINDOW_S, dialS - w.w * WINDOW_S),
    }));
    const steadyWin = win.filter((w) => w.from >= RAMP_S && w.from + WINDOW_S <= dialS + 0.5);
    const steadyRate = steadyWin.length ? steadyWin.reduce((a, w) => a + w.n, 0) / (steadyWin.length * WINDOW_S) : 0;
    const meanRate = tot!.inDial / dialS;
    const act = samples.map((s) => s.active);
    const steadyAct = samples.filter((s) => s.t >= RAMP_S).map((s) => s.active);
    const lagMs = { p50: lag.percentile(50) / 1e6, p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 };
    const nodeCpuS = (cpuDial.user + cpuDial.system) / 1e6;
    const machine = m0 && m1 ? (m1.busy - m0.busy) / (m1.total - m0.total) : null;
    const pgAllS = pgAll.seconds() > 0 ? pgAll.seconds() : null;
    const tickRows = ticks.filter((t) => t.placed > 0);
    const tickStats = {
      ticks: ticks.length,
      ticksWithDials: tickRows.length,
      meanIntervalMs: ticks.length > 1 ? (ticks.at(-1)!.start - ticks[0]!.start) / (ticks.length - 1) : 0,
      meanRequested: mean(ticks.map((t) => t.requested)),
      meanLeased: mean(ticks.map((t) => t.leased)),
      meanLeaseMs: mean(ticks.map((t) => t.leaseMs)),
      meanTickMs: mean(tickRows.map((t) => t.lastPlaced - t.start)),
      meanDialLoopMsPerCall: mean(tickRows.map((t) => (t.lastPlaced - t.start - t.leaseMs) / t.placed)),
    };
    const checks = {
      everyAttemptEnded: tot!.open === 0,
      callPlacedEqualsRows: placed === tot!.rows,
      callEndedEqualsRows: ended === tot!.rows && endedIds.size === tot!.rows && alreadyRecorded === 0,
      noContactWithTwoOpenAttempts: twoOpen!.n === 0 && overlap!.n === 0,
      contactAttemptCountsMatch: counted!.n === 0,
      noErrors: errors.length === 0,
    };
    const persisted = Object.values(checks).every(Boolean);
    const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    const perf = {
      rate: steadyRate >= TARGET.rate,
      concurrent: Math.max(0, ...act) >= TARGET.concurrent,
      lag: lagMs.p99 < TARGET.lagP99Ms,
    };

    const out: string[] = [];
    out.push('');
    out.push(
      `Live dialer, simulated carrier, PostgreSQL (${dbName}) — ${DURATION_S} s of dialing${QUICK ? ' (--quick)' : ''}. Shared 2-core machine: numbers are approximate.`,
    );
    out.push('');
    out.push('| measure | value | target |');
    out.push('|---|---|---|');
    out.push(`| attempts placed (database, placed during the run) | ${fmt(tot!.inDial)} in ${dialS.toFixed(1)} s | |`);
    out.push(`| attempts/s, whole run | ${fmt(meanRate, 1)} | |`);
    out.push(
      `| attempts/s, after the ${RAMP_S}-s ramp (sustained) | ${fmt(steadyRate, 1)} | ≥ ${TARGET.rate} ${pass(perf.rate)} |`,
    );
    out.push(`| attempts/s per ${WINDOW_S}-s window | ${win.map((w) => fmt(w.rate, 0)).join(' · ')} | |`);
    out.push(
      `| concurrent calls, peak / mean after ramp | ${fmt(Math.max(0, ...act))} / ${fmt(mean(steadyAct))} | ≥ ${fmt(TARGET.concurrent)} ${pass(perf.concurrent)} |`,
    );
    out.push(
      `| event-loop lag p50 / p99 / max (monitorEventLoopDelay, 10-ms resolution included) | ${lagMs.p50.toFixed(1)} / ${lagMs.p99.toFixed(1)} / ${lagMs.max.toFixed(1)} ms | p99 < ${TARGET.lagP99Ms} ms ${pass(perf.lag)} |`,
    );
    out.push(
      `| event-loop lag p99 per ${WINDOW_S}-s window | ${windowLagP99.map((x) => x.toFixed(0)).join(' · ')} ms | |`,
    );
    out.push(
      `| Node CPU (main process) | ${nodeCpuS.toFixed(1)} s = ${((nodeCpuS / dialS) * 100).toFixed(0)}% of one core | |`,
    );
    out.push(
      `| PostgreSQL backends of this database | ${pgBackendS.toFixed(1)} s = ${((pgBackendS / dialS) * 100).toFixed(0)}% of one core | |`,
    );
    if (pgAllS !== null)
      out.push(
        `| all postgres processes (incl. WAL writer, other databases) | ${pgAllS.toFixed(1)} s = ${((pgAllS / dialS) * 100).toFixed(0)}% of one core | |`,
      );
    if (machine !== null)
      out.push(`| whole machine busy (2 cores, incl. other users) | ${(machine * 100).toFixed(0)}% | |`);
    out.push(`| RSS at end of dialing | ${rssMB} MB | |`);
    out.push(
      `| runner ticks | ${tickStats.ticks} (every ${fmt(tickStats.meanIntervalMs)} ms), ${fmt(tickStats.meanLeased, 0)} leased of ${fmt(tickStats.meanRequested, 0)} wanted per tick, tick ${fmt(tickStats.meanTickMs)} ms (lease ${fmt(tickStats.meanLeaseMs, 1)} ms, then ${tickStats.meanDialLoopMsPerCall.toFixed(2)} ms per dial) | |`,
    );
    out.push(
      `| dialer mode at the end / changes | ${stats?.mode ?? '-'} / ${modeChanges.length ? modeChanges.join('; ') : 'none'} | |`,
    );
    out.push(
      `| connects / abandons / refusals | ${fmt(connected)} / ${fmt(stats?.abandons ?? 0)} / ${JSON.stringify(refusals)} | |`,
    );
    out.push(
      `| drain | ${drainS.toFixed(1)} s; ${forced} calls still up after ${DRAIN_S} s hung up by the harness | |`,
    );
    out.push('');
    out.push('| persistence check | result |');
    out.push('|---|---|');
    out.push(
      `| every attempt row has ended_at and outcome (${fmt(tot!.rows)} rows, ${tot!.open} open) | ${pass(checks.everyAttemptEnded)} |`,
    );
    out.push(`| CallPlaced events (${fmt(placed)}) = attempt rows | ${pass(checks.callPlacedEqualsRows)} |`);
    out.push(
      `| CallEnded events (${fmt(ended)}, ${fmt(endedIds.size)} distinct, ${alreadyRecorded} duplicates) = attempt rows | ${pass(checks.callEndedEqualsRows)} |`,
    );
    out.push(
      `| no contact with two open/overlapping attempts (${twoOpen!.n} / ${overlap!.n}) | ${pass(checks.noContactWithTwoOpenAttempts)} |`,
    );
    out.push(
      `| contacts.attempts = their attempt rows (${counted!.n} differ) | ${pass(checks.contactAttemptCountsMatch)} |`,
    );
    out.push(`| no errors in the dialer's database work (${errors.length}) | ${pass(checks.noErrors)} |`);
    out.push(
      `| (info) outcomes in the database | ${dbOutcomes.map((o) => `${o.outcome ?? 'NULL'} ${fmt(o.n)}`).join(', ')}; leases left ${leases!.n} |`,
    );
    if (errors.length) out.push(`\nerrors:\n  ${errors.join('\n  ')}`);
    out.push('');
    out.push(
      `Time in database work during dialing (ms per wall-second; concurrent calls overlap, pool wait included):`,
    );
    out.push('');
    out.push('| operation | count | mean ms | p50 | p99 | max | total s | ms/s |');
    out.push('|---|---|---|---|---|---|---|---|');
    for (const r of timingRows.slice(0, 24))
      out.push(
        `| ${r.key.replace(/\|/g, '\\|')} | ${fmt(r.count)} | ${r.meanMs} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.totalS} | ${fmt(r.msPerS)} |`,
      );
    out.push('');
    out.push(
      `Persistence: ${persisted ? 'PASS' : 'FAIL'}. Performance targets (reported, not enforced): rate ${pass(perf.rate)}, concurrency ${pass(perf.concurrent)}, lag ${pass(perf.lag)}.`,
    );
    console.log(out.join('\n'));

    const summary = {
      database: 'PostgreSQL ' + (await q<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v,
      config: {
        durationS: DURATION_S,
        rate: RATE,
        cps: CPS,
        mode: MODE,
        linesPerAgent: LINES,
        agents: AGENTS,
        contacts: CONTACTS,
        pool: POOL,
        ringS: RING_S,
        talkS: TALK_S,
        wrapS: WRAP_S,
        carrier: CARRIER,
        meanLifetimeS: +MEAN_LIFETIME_S.toFixed(2),
        quick: QUICK,
      },
      attempts: {
        inDial: tot!.inDial,
        rows: tot!.rows,
        perSecond: +meanRate.toFixed(1),
        sustainedPerSecond: +steadyRate.toFixed(1),
        windows: win.map((w) => ({ fromS: w.from, n: w.n, perSecond: +w.rate.toFixed(1) })),
      },
      concurrent: { peak: Math.max(0, ...act), meanAfterRamp: Math.round(mean(steadyAct)), perSecond: act },
      lagMs: {
        p50: +lagMs.p50.toFixed(1),
        p99: +lagMs.p99.toFixed(1),
        max: +lagMs.max.toFixed(1),
        p99PerWindow: windowLagP99.map((x) => +x.toFixed(1)),
      },
      cpu: {
        nodeS: +nodeCpuS.toFixed(2),
        nodeShare: +(nodeCpuS / dialS).toFixed(2),
        pgBackendsS: +pgBackendS.toFixed(2),
        allPostgresS: pgAllS === null ? null : +pgAllS.toFixed(2),
        machineBusy: machine === null ? null : +machine.toFixed(2),
      },
      rssMB,
      ticks: tickStats,
      mode: stats?.mode ?? null,
      modeChanges,
      connects: connected,
      abandons: stats?.abandons ?? 0,
      refusals,
      outcomes,
      drain: { seconds: +drainS.toFixed(1), forcedHangups: forced },
      checks,
      persisted,
      targets: { ...TARGET, pass: perf },
      statements: timingRows.filter((r: TimingRow) => r.totalS >= 0.05),
      errors,
    };
    if (EXPLAIN) await explain(mon, timingRows, examples, { orgId, projectId: project.id, campaignId: cid });
    console.log(JSON.stringify(summary));
    return persisted ? 0 : 1;
  } finally {
    // Closing the monitoring connections after the run: their failure changes no result.
    await mon.end().catch(() => undefined);
    await raw.close().catch(() => undefined);
  }
}

/**
 * Diagnostics after the checks (the database is dropped right after, so writes here are fine):
 * EXPLAIN (ANALYZE, BUFFERS) of the costliest statements with parameters captured during the
 * run, each in a rolled-back transaction; then 500 dials and 500 ends written the way the runner
 * does (one transaction per attempt, one after another) against one statement per batch.
 */
async function explain(
  mon: pg.Client,
  rows: TimingRow[],
  examples: Map<string, { text: string; params: readonly unknown[] }>,
  ids: { orgId: string; projectId: string; campaignId: string },
): Promise<void> {
  const out: string[] = [
    '',
    'EXPLAIN (ANALYZE, BUFFERS) of the costliest statements, with parameters captured during the run (state after the drain):',
  ];
  const seen = new Set<string>();
  for (const r of rows) {
    const key = r.key.replace(/^ {2}in tx: /, '');
    const ex = examples.get(key);
    if (!ex || seen.has(key) || /^(BEGIN|COMMIT|SELECT pg_)/.test(key)) continue;
    seen.add(key);
    if (seen.size > 6) break;
    await mon.query('BEGIN');
    try {
      // Once to warm this session's caches (foreign-key trigger plans and the like), then the one shown.
      await mon.query('SAVEPOINT warm');
      await mon.query(`EXPLAIN (ANALYZE) ${ex.text}`, [...ex.params]);
      await mon.query('ROLLBACK TO SAVEPOINT warm');
      const plan = await mon.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${ex.text}`, [...ex.params]);
      const line = (l: string) => (l.length > 220 ? `${l.slice(0, 220)}…` : l);
      out.push(
        '',
        `-- ${key} (run: ${fmt(r.count)} × mean ${r.meanMs} ms)`,
        ...plan.rows.map((p) => `   ${line(p['QUERY PLAN'])}`),
      );
    } catch (err) {
      out.push('', `-- ${key}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await mon.query('ROLLBACK');
    }
  }
  // The lease as it is (sort of every open contact) against an index walk: a partial index in
  // the order of the lease, callbacks leased by a separate small query (not shown).
  const lease = [...examples.entries()].find(([k]) => k.startsWith('UPDATE contacts k SET leased_until'))?.[1];
  if (lease) {
    const now = new Date();
    const params = [...lease.params];
    params[3] = now;
    params[4] = new Date(now.getTime() + 600_000);
    const rewritten = lease.text
      .replace("AND status <> 'closed'", "AND status NOT IN ('closed', 'callback')")
      .replace(/\s+AND \(status <> 'callback' OR callback_at IS NULL OR callback_at <= \$4\)/, '')
      .replace("ORDER BY (status = 'callback') DESC, priority DESC, id", 'ORDER BY priority DESC, id');
    const summary = async (text: string) => {
      const plan = (await mon.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE) ${text}`, params)).rows.map(
        (r) => r['QUERY PLAN'],
      );
      return plan
        .filter((l) => /Scan|Sort|Limit|Execution Time/.test(l))
        .map((l) => `   ${l.length > 200 ? `${l.slice(0, 200)}…` : l}`);
    };
    const inTx = async (fn: () => Promise<string[]>) => {
      await mon.query('BEGIN');
      try {
        return await fn();
      } finally {
        await mon.query('ROLLBACK');
      }
    };
    try {
      out.push('', '-- the lease as it is (now):', ...(await inTx(() => summary(lease.text))));
      // Committed (an index built inside the transaction that reads it is not used after HOT updates).
      const t = performance.now();
      await mon.query(
        `CREATE INDEX bench_lease_order ON contacts (project_id, priority DESC, id) WHERE status NOT IN ('closed', 'callback')`,
      );
      const built = performance.now() - t;
      out.push(
        '',
        `-- with CREATE INDEX … ON contacts (project_id, priority DESC, id) WHERE status NOT IN ('closed', 'callback') (built in ${fmt(built)} ms), callbacks apart:`,
        ...(await inTx(() => summary(rewritten))),
      );
      await mon.query('DROP INDEX bench_lease_order');
    } catch (err) {
      out.push(`-- lease what-if: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Batched against one-by-one, on an idle machine state (the run is over).
  const N = 500;
  const pick = async () =>
    (
      await mon.query<{ id: string; phone: string }>(
        `SELECT id, phone FROM contacts WHERE project_id = $1 AND status = 'new' ORDER BY id DESC LIMIT ${N}`,
        [ids.projectId],
      )
    ).rows;
  const timeIt = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const one = await pick();
  const seqOpen = await timeIt(async () => {
    for (const c of one) {
      await mon.query('BEGIN');
      await mon.query(
        `INSERT INTO call_attempts (org_id, project_id, campaign_id, contact_id, phone, caller_id, dial_mode, placed_at) VALUES ($1, $2, $3, $4, $5, $6, 'predictive', $7) RETURNING id`,
        [ids.orgId, ids.projectId, ids.campaignId, c.id, c.phone, '+861088880000', new Date()],
      );
      await mon.query(`UPDATE contacts SET status = 'in_progress', updated_at = $2 WHERE id = $1 AND status = 'new'`, [
        c.id,
        new Date(),
      ]);
      await mon.query('COMMIT');
    }
  });
  const two = await pick();
  const batchOpen = await timeIt(() =>
    mon.query(
      `WITH ins AS (INSERT INTO call_attempts (org_id, project_id, campaign_id, contact_id, phone, caller_id, dial_mode, placed_at)
                  SELECT $1, $2, $3, c, p, $6, 'predictive', $7 FROM unnest($4::uuid[], $5::text[]) AS u(c, p) RETURNING id, contact_id)
     UPDATE contacts k SET status = 'in_progress', updated_at = $7 FROM ins WHERE k.id = ins.contact_id AND k.status = 'new'`,
      [
        ids.orgId,
        ids.projectId,
        ids.campaignId,
        two.map((c) => c.id),
        two.map((c) => c.phone),
        '+861088880000',
        new Date(),
      ],
    ),
  );
  const openIds = async (contacts: { id: string }[]) =>
    (
      await mon.query<{ id: string }>(
        'SELECT id FROM call_attempts WHERE contact_id = ANY($1::uuid[]) AND ended_at IS NULL',
        [contacts.map((c) => c.id)],
      )
    ).rows.map((r) => r.id);
  const a1 = await openIds(one);
  const seqEnd = await timeIt(async () => {
    for (const id of a1) {
      // What AttemptRecorder.ended does per attempt: three reads, then a two-statement transaction.
      const [att] = (
        await mon.query<{ contact_id: string; project_id: string }>('SELECT * FROM call_attempts WHERE id = $1', [id])
      ).rows;
      await mon.query('SELECT * FROM projects WHERE org_id = $1 AND id = $2', [ids.orgId, att!.project_id]);
      await mon.query(
        'SELECT id, contact_id, phone, placed_at, outcome FROM call_attempts WHERE contact_id = ANY($1::uuid[]) ORDER BY placed_at',
        [[att!.contact_id]],
      );
      await mon.query('BEGIN');
      const [row] = (
        await mon.query<{ contact_id: string; placed_at: Date }>(
          `UPDATE call_attempts SET outcome = 'no_answer', ended_at = now(), hangup_side = 'system', sip_cause = 487 WHERE id = $1 AND ended_at IS NULL RETURNING contact_id, placed_at`,
          [id],
        )
      ).rows;
      await mon.query(
        `UPDATE contacts SET attempts = attempts + 1, last_attempt_at = greatest(last_attempt_at, $2), status = 'in_progress', next_attempt_at = now() + interval '1 minute',
                              leased_until = NULL, lease_owner = NULL, updated_at = now() WHERE id = $1`,
        [row!.contact_id, row!.placed_at],
      );
      await mon.query('COMMIT');
    }
  });
  const a2 = await openIds(two);
  const batchEnd = await timeIt(() =>
    mon.query(
      `WITH e AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS e(id, outcome)),
          a AS (UPDATE call_attempts c SET outcome = e.outcome, ended_at = now(), hangup_side = 'system', sip_cause = 487 FROM e
                 WHERE c.id = e.id AND c.ended_at IS NULL RETURNING c.contact_id, c.placed_at)
     UPDATE contacts k SET attempts = k.attempts + 1, last_attempt_at = greatest(k.last_attempt_at, a.placed_at), status = 'in_progress',
            next_attempt_at = now() + interval '1 minute', leased_until = NULL, lease_owner = NULL, updated_at = now()
       FROM a WHERE k.id = a.contact_id`,
      [a2, a2.map(() => 'no_answer')],
    ),
  );
  out.push(
    '',
    `Writing ${N} attempts, one transaction per attempt as the runner does vs one statement per batch (idle database, this connection only):`,
  );
  out.push(
    `  open:  ${fmt(seqOpen)} ms one by one (${(seqOpen / N).toFixed(2)} ms each → at most ${fmt(N / (seqOpen / 1000))}/s from one loop)  vs  ${fmt(batchOpen, 1)} ms batched (${fmt(N / (batchOpen / 1000))}/s)`,
  );
  out.push(
    `  end:   ${fmt(seqEnd)} ms one by one with AttemptRecorder.ended's 3 reads + 2-statement transaction (${(seqEnd / N).toFixed(2)} ms each)  vs  ${fmt(batchEnd, 1)} ms batched`,
  );
  console.log(out.join('\n'));
}

async function main(): Promise<number> {
  const dbName = `bench_dialer_${process.pid}`;
  const adminUrl = dbUrl(BASE_URL, 'postgres');
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    c.on('error', () => undefined); // a dropped admin connection surfaces as the query's error
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end().catch(() => undefined); // the statement's own result (or error) is what counts
    }
  };
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((err: unknown) =>
      console.error(`could not drop ${dbName}: ${String(err)}`),
    );
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`${sig}: dropping ${dbName}`);
      void drop().finally(() => process.exit(130));
    });
  }
  // A dialer bug must not leave the database behind: note it, finish the run, fail it.
  const rejections: string[] = [];
  process.on('unhandledRejection', (err) => {
    if (rejections.length < 10) rejections.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
  });
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${dbName}`);
  try {
    const code = await run(dbUrl(BASE_URL, dbName), dbName);
    if (rejections.length) {
      console.error(`unhandled rejections during the run:\n${rejections.join('\n')}`);
      return code || 1;
    }
    return code;
  } catch (err) {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  } finally {
    await drop();
  }
}

process.exit(await main());
