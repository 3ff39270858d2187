/**
 * AMD accuracy on generated audio (npm run bench:amd): people's greetings ("喂？", "Hello?" …
 * then silence while they wait) and answering machines' greetings (a long message, a beep),
 * spoken by espeak-ng in Mandarin and English at several speeds and pitches, with and without
 * line noise and with a varying pause before the first word. Each file is fed to the
 * energy/cadence detector as 20 ms RTP frames would be; the confusion matrix, accuracy and
 * decision times are printed (and the run exits 1 below the floor of 0.8).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnergyAmd, type AmdResult } from '../../packages/telephony/src/media/amd.ts';
import { readWav } from '../../packages/telephony/src/media/recording.ts';
import { missingBinaries } from '../../packages/telephony/src/peers/peers.ts';

const missing = missingBinaries(['espeak-ng', 'sox']);
if (missing.length) {
  console.log(`AMD benchmark needs ${missing.join(', ')} (apt-get install espeak-ng sox)`);
  process.exit(0);
}

const HUMAN: [string, string][] = [
  ['cmn', '喂？'],
  ['cmn', '喂，你好'],
  ['cmn', '你好，哪位？'],
  ['cmn', '喂，您好，请讲'],
  ['en-us', 'Hello?'],
  ['en-us', 'Hi, who is this?'],
  ['en', 'Yes?'],
  ['en', 'Hello, Li speaking.'],
];
const MACHINE: [string, string][] = [
  ['cmn', '您好，我现在不方便接听电话，请在提示音后留言，我会尽快给您回电，谢谢。'],
  ['cmn', '您好，这里是王先生的语音信箱，请留下您的姓名和电话号码。'],
  ['en-us', "Hi, you've reached Li Wei. I can't take your call right now, please leave a message after the tone."],
  ['en', 'Thank you for calling. Please leave your name, number and a short message after the beep.'],
  ['en-us', 'The person you are calling is not available. Record your message at the tone.'],
];

const dir = mkdtempSync(join(tmpdir(), 'outdial-amd-'));
let n = 0;
const sox = (args: string[]) => {
  const r = spawnSync('sox', args);
  if (r.status !== 0) throw new Error(`sox ${args.join(' ')}: ${r.stderr.toString()}`);
};

/** One test file: lead silence, the greeting, (a beep for machines), then silence; optional noise. */
function make(
  voice: string,
  text: string,
  o: { speed: number; pitch: number; lead: number; noise: boolean; beep: boolean },
): string {
  const id = ++n;
  const raw = join(dir, `${id}-raw.wav`);
  const e = spawnSync('espeak-ng', ['-v', voice, '-s', String(o.speed), '-p', String(o.pitch), '-w', raw, text]);
  if (e.status !== 0) throw new Error(`espeak-ng: ${e.stderr.toString()}`);
  const speech = join(dir, `${id}-speech.wav`);
  sox([raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', speech, 'pad', String(o.lead), '0']);
  const parts = [speech];
  if (o.beep) {
    const beep = join(dir, `${id}-beep.wav`);
    sox(['-n', '-r', '8000', '-c', '1', '-b', '16', beep, 'synth', '0.5', 'sine', '1000', 'vol', '0.4']);
    parts.push(beep);
  }
  const tail = join(dir, `${id}-tail.wav`);
  sox(['-n', '-r', '8000', '-c', '1', '-b', '16', tail, 'trim', '0', '4']);
  parts.push(tail);
  const joined = join(dir, `${id}-joined.wav`);
  sox([...parts, joined]);
  if (!o.noise) return joined;
  const noise = join(dir, `${id}-noise.wav`);
  const len = spawnSync('soxi', ['-D', joined]).stdout.toString().trim();
  sox(['-n', '-r', '8000', '-c', '1', '-b', '16', noise, 'synth', len, 'whitenoise', 'vol', '0.01']);
  const out = join(dir, `${id}.wav`);
  sox(['-m', joined, noise, out]);
  return out;
}

function classify(path: string): { result: AmdResult; afterMs: number } {
  const { channels } = readWav(path);
  const s = channels[0]!;
  const amd = new EnergyAmd();
  for (let o = 0; o < s.length; o += 160) {
    const v = amd.feed(s.subarray(o, o + 160));
    if (v) return v;
  }
  return amd.finish();
}

const rows: { truth: 'human' | 'machine'; result: AmdResult; afterMs: number; label: string }[] = [];
const t0 = Date.now();
for (const [truth, set] of [
  ['human', HUMAN],
  ['machine', MACHINE],
] as const)
  for (const [voice, text] of set)
    for (const speed of [140, 175, 210])
      for (const pitch of [35, 65])
        for (const [lead, noise] of [
          [0.2, false],
          [0.9, true],
        ] as const) {
          const f = make(voice, text, { speed, pitch, lead, noise, beep: truth === 'machine' });
          const v = classify(f);
          rows.push({
            truth,
            ...v,
            label: `${voice} s${speed} p${pitch} lead${lead}${noise ? ' noise' : ''}: ${text}`,
          });
        }

const count = (t: string, r: string) => rows.filter((x) => x.truth === t && x.result === r).length;
const correct = rows.filter((r) => r.result === r.truth).length;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(`AMD (energy/cadence) on ${rows.length} generated greetings (${Date.now() - t0} ms incl. synthesis)`);
console.log('truth \\ verdict   human  machine  unknown');
for (const t of ['human', 'machine'])
  console.log(
    `${t.padEnd(16)} ${String(count(t, 'human')).padStart(6)} ${String(count(t, 'machine')).padStart(8)} ${String(count(t, 'unknown')).padStart(8)}`,
  );
const accuracy = correct / rows.length;
console.log(
  `accuracy ${pct(accuracy)}; people taken for machines ${pct(count('human', 'machine') / rows.filter((r) => r.truth === 'human').length)} (calls lost); machines passed as people ${pct((count('machine', 'human') + count('machine', 'unknown')) / rows.filter((r) => r.truth === 'machine').length)} (agent time lost)`,
);
for (const t of ['human', 'machine'] as const)
  console.log(`decision time, ${t}: median ${median(rows.filter((r) => r.truth === t).map((r) => r.afterMs))} ms`);
if (process.env['AMD_VERBOSE'])
  for (const r of rows.filter((x) => x.result !== x.truth))
    console.log(`  wrong: ${r.truth} → ${r.result} after ${r.afterMs} ms — ${r.label}`);
if (accuracy < 0.8) process.exit(1);
