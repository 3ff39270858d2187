/**
 * SIP carrier benchmark (npm run bench:sip): SIPp (Debian sip-tester) is the far end — it rings,
 * answers and streams µ-law audio back — and the SIP carrier places calls through rtpengine as
 * in production (media anchored, our own media endpoint per call receiving the callee's audio).
 *
 *   1. set-up latency: calls one after another at a steady rate; the time from originate() to the
 *      `answered` event is what the platform adds (SIPp answers at once on loopback): SIP
 *      transactions, rtpengine offer + answer, our media endpoint.
 *   2. concurrency: steps of N simultaneous calls held with audio flowing; at each step, whether
 *      every call was answered, the set-up p99, the event-loop delay p99, and the CPU used by this
 *      process and by rtpengine. It stops at the first step that fails or breaks the bounds.
 *
 * Bounded: about two minutes. Everything on 127.0.0.1.
 *   npm run bench:sip [-- --max 800 --hold 15]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { realScheduler, type TelephonyEvent } from '../../packages/engine/src/index.ts';
import { SipCarrier } from '../../packages/telephony/src/sip/carrier.ts';
import {
  freeUdpPort,
  makeTone,
  missingBinaries,
  startRtpengine,
  tempDir,
} from '../../packages/telephony/src/peers/peers.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MAX = arg('max', 800);
const HOLD_S = arg('hold', 12);
const here = fileURLToPath(new URL('.', import.meta.url));

const missing = missingBinaries(['sipp', 'rtpengine', 'sox']);
if (missing.length) {
  console.log(`bench:sip needs ${missing.join(', ')} (apt-get install sip-tester rtpengine-daemon sox)`);
  process.exit(0);
}

const dir = tempDir('bench-sip');
const tone = makeTone(join(dir, 'tone.wav'), 440, 2);
const raw = join(dir, 'tone.ul');
spawnSync('sox', [tone, '-t', 'ul', '-r', '8000', '-c', '1', raw]);

const procs: { stop(): Promise<void> }[] = [];
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, seconds (USER_HZ 100)
};

async function main() {
  const ng = await freeUdpPort();
  const rtpe = await startRtpengine({ ngPort: ng, portMin: 32_000, portMax: 39_999 });
  procs.push(rtpe);
  const sippPort = await freeUdpPort();
  // The scenario with this run's audio file in it (SIPp reads rtp_stream files when it loads the scenario).
  const scenario = join(dir, 'uas.xml');
  writeFileSync(scenario, readFileSync(join(here, 'uas.xml'), 'utf8').replace('[rtp_file]', raw));
  const sipp: ChildProcess = spawn(
    'sipp',
    [
      '-sf',
      scenario,
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-p',
      String(sippPort),
      '-nostdin',
      '-max_socket',
      '4096',
      '-trace_err',
      '-error_file',
      join(dir, 'sipp-errors.log'),
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let sippErr = '';
  sipp.stderr!.on('data', (d: Buffer) => (sippErr += d.toString()));
  procs.push({
    stop: async () => {
      if (sipp.exitCode !== null) return;
      const gone = new Promise((r) => sipp.once('exit', r));
      sipp.kill('SIGTERM');
      await gone;
    },
  });
  await new Promise((r) => setTimeout(r, 500));
  if (sipp.exitCode !== null) throw new Error(`sipp exited: ${sippErr}`);

  const carrier = new SipCarrier(
    {
      sip: { host: '127.0.0.1', port: 0 },
      rtpengine: { host: '127.0.0.1', port: ng },
      mediaHost: '127.0.0.1',
      trunks: [
        { name: 'sipp', uri: `sip:127.0.0.1:${sippPort}`, transport: 'udp', maxChannels: 10_000, callsPerSecond: 100 },
      ],
      agents: { uri: () => null },
      prompts: { abandon: tone },
      log: (m) => process.env['BENCH_VERBOSE'] && console.log(m),
    },
    realScheduler,
  );
  await carrier.start();
  procs.push({ stop: () => carrier.stop() });

  const placedAt = new Map<string, number>();
  const setup = new Map<string, number>();
  const ended = new Map<string, TelephonyEvent & { type: 'ended' }>();
  carrier.subscribe((e) => {
    if (e.type === 'answered') setup.set(e.callId, performance.now() - placedAt.get(e.callId)!);
    if (e.type === 'ended') ended.set(e.callId, e);
  });
  let seq = 0;
  const place = () => {
    const id = `b${++seq}`;
    placedAt.set(id, performance.now());
    carrier.originate({
      callId: id,
      to: '+8613800000001',
      callerId: '+861088880000',
      ringTimeoutMs: 30_000,
      amd: false,
    });
    return id;
  };
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]! : NaN;
  };
  const until = async (ok: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return ok();
  };

  // 1. Set-up latency, 200 calls at 20/s, each released a second after the answer.
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const id = place();
    ids.push(id);
    setTimeout(
      () =>
        void until(() => setup.has(id), 10_000).then(() => setTimeout(() => carrier.hangup(id, 'agent_hangup'), 1000)),
      0,
    );
    await new Promise((r) => setTimeout(r, 50));
  }
  await until(() => ids.every((id) => ended.has(id)), 30_000);
  const lat = ids.map((id) => setup.get(id)).filter((x): x is number => x !== undefined);
  console.log(
    `set-up (originate → answered, SIP + rtpengine + media endpoint; SIPp answers at once): ${lat.length}/200 answered, ` +
      `p50 ${pct(lat, 50).toFixed(1)} ms, p95 ${pct(lat, 95).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms`,
  );

  // 2. Concurrency steps.
  console.log(
    `concurrent calls held ${HOLD_S} s with audio from the far end (50 packets/s per call through rtpengine):`,
  );
  console.log('calls  answered  set-up p99  loop p99  node CPU  rtpengine CPU  ended OK');
  const h = monitorEventLoopDelay({ resolution: 10 });
  for (let n = 100; n <= MAX; n *= 2) {
    const step: string[] = [];
    h.reset();
    h.enable();
    const cpu0 = process.cpuUsage();
    const rt0 = cpuOf(rtpe.child.pid!);
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      step.push(place());
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 500)); // 100 calls/s
    }
    const allUp = await until(() => step.every((id) => setup.has(id) || ended.has(id)), 30_000);
    const answered = step.filter((id) => setup.has(id) && !ended.has(id)).length;
    await new Promise((r) => setTimeout(r, HOLD_S * 1000));
    const packets = carrier.activeCalls;
    // Audio really flows: rtpengine's count for one call of the step.
    const q = (await carrier.query(step[0]!)) as { totals?: { RTP?: { packets?: number } } } | null;
    const rtp = q?.totals?.RTP?.packets ?? 0;
    for (const id of step) carrier.hangup(id, 'agent_hangup');
    await until(() => step.every((id) => ended.has(id)), 30_000);
    h.disable();
    const secs = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const nodeCpu = (cpu.user + cpu.system) / 1e6 / secs;
    const rtCpu = (cpuOf(rtpe.child.pid!) - rt0) / secs;
    const ok = step.filter((id) => ended.get(id)?.cause === 'agent_hangup').length;
    const p99 = pct(
      step.map((id) => setup.get(id) ?? Infinity),
      99,
    );
    console.log(
      `${String(n).padStart(5)}  ${String(answered).padStart(8)}  ${p99.toFixed(0).padStart(8)} ms  ${(h.percentile(99) / 1e6).toFixed(0).padStart(5)} ms  ${(100 * nodeCpu).toFixed(0).padStart(6)}%  ${(100 * rtCpu).toFixed(0).padStart(11)}%  ${String(ok).padStart(8)}` +
        `  (${rtp} RTP packets relayed on one call)` +
        (packets !== n ? `  (${packets} up at hang-up)` : ''),
    );
    if (!allUp || answered < n || ok < n || p99 > 2000) {
      console.log(
        `stopped at ${n}: ${!allUp ? 'not all set up in 30 s' : answered < n ? 'calls failed' : ok < n ? 'calls did not end cleanly' : 'set-up p99 over 2 s'}`,
      );
      break;
    }
  }
  console.log(
    `(machine: ${spawnSync('nproc').stdout.toString().trim()} cores, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`,
  );
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const p of procs.reverse()) await p.stop().catch(() => undefined);
  });
