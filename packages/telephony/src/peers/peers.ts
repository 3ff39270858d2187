/**
 * Real SIP peers for the telephony tests (test:telephony) and benchmarks: rtpengine, Kamailio
 * and baresip started as child processes on 127.0.0.1 only, each in its own temporary folder,
 * stopped (and waited for) at the end. Nothing here talks to another address.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
export const TOOLS = join(REPO, 'tools', 'telephony');

/** Binaries the real-peer tests need; the missing ones are named so a test can skip saying why. */
export function missingBinaries(names: string[]): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `outdial-${prefix}-`));
}

export interface Proc {
  name: string;
  child: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

function start(name: string, cmd: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Proc {
  const logPath = join(dir, `${name}.log`);
  const out: Buffer[] = [];
  const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => out.push(d));
  const log = () => {
    const s = Buffer.concat(out).toString('utf8');
    writeFileSync(logPath, s);
    return s;
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
    log();
  };
  return { name, child, log, stop };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 10_000, p?: Proc): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    if (p && (p.child.exitCode !== null || p.child.signalCode !== null))
      throw new Error(`${p.name} exited while waiting for ${what}:\n${p.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${p ? `:\n${p.log().slice(-3000)}` : ''}`);
}

/** Ports in use for UDP on loopback (to pick free ones). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export interface Rtpengine extends Proc {
  ngPort: number;
  recordingDir: string;
}

/** rtpengine in user space (no kernel module), pcap recordings in `dir/rec`. */
export async function startRtpengine(opts: { ngPort: number; portMin: number; portMax: number }): Promise<Rtpengine> {
  const dir = tempDir('rtpengine');
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  const p = start(
    'rtpengine',
    'rtpengine',
    [
      '--config-file=none',
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${opts.ngPort}`,
      '--foreground',
      '--log-stderr',
      `--port-min=${opts.portMin}`,
      `--port-max=${opts.portMax}`,
      `--recording-dir=${rec}`,
      '--recording-method=pcap',
      '--delete-delay=0',
      '--num-threads=2',
    ],
    dir,
  );
  await until('rtpengine startup', () => p.log().includes('Startup complete'), 10_000, p);
  return { ...p, ngPort: opts.ngPort, recordingDir: rec };
}

/** Fills a config template's {{NAME}} placeholders; an unfilled one is an error. */
export function renderTemplate(template: string, vars: Record<string, string | number>): string {
  const out = readFileSync(template, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (m, k: string) =>
    vars[k] === undefined ? m : String(vars[k]),
  );
  const left = /\{\{([A-Z_]+)\}\}/.exec(out);
  if (left) throw new Error(`${template}: no value for ${left[1]}`);
  return out;
}

/** Kamailio with one of the project's configs (tools/telephony/kamailio/*.cfg), placeholders filled. */
export async function startKamailio(
  name: 'agents' | 'carrier-sim',
  vars: Record<string, string | number>,
): Promise<Proc> {
  const dir = tempDir(`kamailio-${name}`);
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, renderTemplate(join(TOOLS, 'kamailio', `${name}.cfg`), vars));
  const check = spawnSync('kamailio', ['-c', '-f', cfg]);
  if (check.status !== 0) throw new Error(`kamailio ${name}.cfg does not parse:\n${check.stderr.toString()}`);
  const p = start(
    `kamailio-${name}`,
    'kamailio',
    ['-f', cfg, '-DD', '-E', '-Y', dir, '-P', join(dir, 'kamailio.pid')],
    dir,
  );
  const port = Number(vars['SIP_PORT']);
  await until(`kamailio ${name} on tcp ${port}`, () => tcpOpen(port), 10_000, p);
  if (vars['WS_PORT'])
    await until(`kamailio ${name} on ws ${vars['WS_PORT']}`, () => tcpOpen(Number(vars['WS_PORT'])), 10_000, p);
  return p;
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

export interface BaresipOptions {
  name: string;
  /** SIP port (UDP; baresip also opens TCP on port + 1 — space instances 4 apart). */
  port: number;
  ctrlPort: number;
  rtpPorts: [number, number];
  /** Account user part (a phone number for customers, the agent's name for agents). */
  user: string;
  answer: 'auto' | 'manual';
  /** Register at this registrar (host:port) instead of listening on a fixed address only. */
  registrar?: string;
  /** 8 kHz mono WAV sent as this endpoint's audio. */
  source: string;
  maxCalls?: number;
}

export interface Baresip extends Proc {
  opts: BaresipOptions;
  dir: string;
  /** Sends a ctrl_tcp command (`accept`, `hangup`, `sndcode` …). */
  command(command: string, params?: string): Promise<string>;
  /** WAV files sndfile wrote (received and sent audio per call). */
  recordings(): string[];
}

export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = tempDir(`baresip-${o.name}`);
  mkdirSync(join(dir, 'rec'));
  const config = [
    `sip_listen 127.0.0.1:${o.port}`,
    'net_interface 127.0.0.1',
    'dns_server 127.0.0.1:53',
    'audio_player alsa,null',
    `audio_source aufile,${o.source}`,
    'ausrc_srate 8000',
    'auplay_srate 8000',
    'ausrc_channels 1',
    'auplay_channels 1',
    `rtp_ports ${o.rtpPorts[0]}-${o.rtpPorts[1]}`,
    'rtcp_mux no',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module alsa.so',
    'module sndfile.so',
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
    `snd_path ${join(dir, 'rec')}`,
    `call_max_calls ${o.maxCalls ?? 4}`,
    'sip_trans_def udp',
  ].join('\n');
  writeFileSync(join(dir, 'config'), config + '\n');
  const reg = o.registrar ? ';regint=60' : ';regint=0';
  const host = o.registrar ?? `127.0.0.1:${o.port}`;
  writeFileSync(
    join(dir, 'accounts'),
    `<sip:${o.user}@${host}>;auth_pass=none${reg};answermode=${o.answer};audio_codecs=PCMU\n`,
  );
  writeFileSync(join(dir, 'contacts'), '');
  const p = start(`baresip-${o.name}`, 'baresip', ['-f', dir], dir);
  await until(`baresip ${o.name} ctrl`, () => tcpOpen(o.ctrlPort), 10_000, p);
  if (o.registrar) await until(`baresip ${o.name} registered`, () => /200 OK|registered/i.test(p.log()), 10_000, p);
  const command = (command: string, params = '') =>
    new Promise<string>((resolveCmd, reject) => {
      const s = connect({ host: '127.0.0.1', port: o.ctrlPort });
      const json = JSON.stringify({ command, params, token: String(Date.now()) });
      let got = '';
      s.on('data', (d: Buffer) => {
        got += d.toString('utf8');
        if (/\d+:\{.*\},/.test(got)) {
          s.destroy();
          resolveCmd(got);
        }
      });
      s.once('error', reject);
      s.write(`${Buffer.byteLength(json)}:${json},`);
      setTimeout(() => {
        s.destroy();
        resolveCmd(got);
      }, 2000);
    });
  const recordings = () => {
    const r = join(dir, 'rec');
    return existsSync(r) ? readdir(r) : [];
  };
  return { ...p, opts: o, dir, command, recordings };
}

function readdir(d: string): string[] {
  return readdirSync(d)
    .sort()
    .map((f) => join(d, f));
}

/** A tone or speech file for test audio (sox / espeak-ng), 8 kHz mono 16-bit. */
export function makeTone(path: string, freq: number, seconds: number): string {
  const r = spawnSync('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    '-e',
    'signed-integer',
    path,
    'synth',
    String(seconds),
    'sine',
    String(freq),
    'vol',
    '0.5',
  ]);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr.toString()}`);
  return path;
}

export function makeSpeech(
  path: string,
  text: string,
  opts: { voice?: string; speed?: number; pitch?: number } = {},
): string {
  const raw = `${path}.raw.wav`;
  const args = ['-w', raw];
  if (opts.voice) args.push('-v', opts.voice);
  if (opts.speed) args.push('-s', String(opts.speed));
  if (opts.pitch !== undefined) args.push('-p', String(opts.pitch));
  args.push(text);
  const e = spawnSync('espeak-ng', args);
  if (e.status !== 0) throw new Error(`espeak-ng failed: ${e.stderr.toString()}`);
  const s = spawnSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', path]);
  if (s.status !== 0) throw new Error(`sox failed: ${s.stderr.toString()}`);
  return path;
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
