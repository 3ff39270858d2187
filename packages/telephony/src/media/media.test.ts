import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { EnergyAmd } from './amd.ts';
import { pcapToStereo, readPcap, readWav, writeStereoWav } from './recording.ts';
import { parseRtp } from './rtp.ts';
import { goertzelShare, toneSeconds } from './tones.ts';

const RATE = 8000;
const tone = (hz: number, ms: number, amp = 8000) =>
  Int16Array.from({ length: (RATE * ms) / 1000 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / RATE)));
const silence = (ms: number) => new Int16Array((RATE * ms) / 1000);
/** Speech-like: bursts of a warbling tone. */
const words = (n: number, wordMs: number, gapMs: number) => {
  const parts: Int16Array[] = [];
  for (let i = 0; i < n; i++) parts.push(tone(300 + 40 * i, wordMs), silence(gapMs));
  return concat(parts);
};
const concat = (parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('energy/cadence AMD', () => {
  const run = (s: Int16Array) => {
    const amd = new EnergyAmd();
    for (let o = 0; o < s.length; o += 160) {
      const v = amd.feed(s.subarray(o, o + 160));
      if (v) return v;
    }
    return amd.finish();
  };
  it('a short greeting then silence is a person', () => {
    const v = run(concat([silence(300), words(2, 250, 120), silence(2000)]));
    expect(v.result).toBe('human');
    expect(v.afterMs).toBeLessThan(2000);
  });
  it('a long greeting without a pause, or many words, is a machine', () => {
    expect(run(concat([silence(200), tone(350, 4000)])).result).toBe('machine');
    expect(run(concat([silence(200), words(8, 200, 100), silence(2000)])).result).toBe('machine');
  });
  it('nothing said at all is taken for a person after the initial silence', () => {
    const v = run(silence(4000));
    expect(v).toMatchObject({ result: 'human', afterMs: 2500 });
  });
});

describe('tones', () => {
  it('finds a tone and not another', () => {
    const t = tone(440, 1000);
    expect(goertzelShare(t, RATE, 440)).toBeGreaterThan(0.9);
    expect(goertzelShare(t, RATE, 1000)).toBeLessThan(0.01);
    expect(toneSeconds(concat([t, silence(500)]), RATE, 440)).toBeCloseTo(1, 1);
  });
});

/** A pcap (raw IPv4, link type 101) of PCMU RTP from two sources, as rtpengine writes it. */
function pcap(
  packets: { t: number; srcPort: number; seq: number; ts: number; ssrc: number; payload: Uint8Array }[],
): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20);
  const recs = packets.map((p) => {
    const rtp = Buffer.alloc(12 + p.payload.length);
    rtp[0] = 0x80;
    rtp[1] = 0;
    rtp.writeUInt16BE(p.seq, 2);
    rtp.writeUInt32BE(p.ts, 4);
    rtp.writeUInt32BE(p.ssrc, 8);
    Buffer.from(p.payload).copy(rtp, 12);
    const ip = Buffer.alloc(28);
    ip[0] = 0x45;
    ip[9] = 17;
    ip.writeUInt16BE(28 + rtp.length, 2);
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    ip.writeUInt16BE(p.srcPort, 20);
    ip.writeUInt16BE(30000, 22);
    const pkt = Buffer.concat([ip, rtp]);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(p.t), 0);
    rh.writeUInt32LE(Math.round((p.t % 1) * 1e6), 4);
    rh.writeUInt32LE(pkt.length, 8);
    rh.writeUInt32LE(pkt.length, 12);
    return Buffer.concat([rh, pkt]);
  });
  return Buffer.concat([head, ...recs]);
}

describe('pcap recordings → stereo WAV', () => {
  it('puts the customer left and the other side right, each at its time', () => {
    const cust = alawmulaw.mulaw.encode(tone(440, 2000));
    const agent = alawmulaw.mulaw.encode(tone(1000, 1000));
    const pk: Parameters<typeof pcap>[0] = [];
    for (let i = 0; i < 100; i++)
      pk.push({
        t: 1000 + i * 0.02,
        srcPort: 40000,
        seq: i,
        ts: 5000 + i * 160,
        ssrc: 1,
        payload: cust.subarray(i * 160, i * 160 + 160),
      });
    // The agent joins a second in (and their packets arrive with jitter, in order of timestamps).
    for (let i = 0; i < 50; i++)
      pk.push({
        t: 1001 + i * 0.02 + (i % 3) * 0.004,
        srcPort: 40200,
        seq: i,
        ts: 90 + i * 160,
        ssrc: 2,
        payload: agent.subarray(i * 160, i * 160 + 160),
      });
    pk.sort((a, b) => a.t - b.t);
    const packets = readPcap(pcap(pk));
    expect(packets).toHaveLength(150);
    expect(parseRtp(packets[0]!.payload)?.ssrc).toBe(1);
    const ch = pcapToStereo(packets, (src) => src === '127.0.0.1:40000');
    expect(ch.left.length).toBe(16000);
    const path = join(mkdtempSync(join(tmpdir(), 'rec-')), 'x.wav');
    expect(writeStereoWav(path, ch)).toBe(2000);
    const wav = readWav(path);
    expect(readFileSync(path).subarray(0, 4).toString()).toBe('RIFF');
    const [l, r] = wav.channels as [Int16Array, Int16Array];
    expect(toneSeconds(l, RATE, 440)).toBeGreaterThanOrEqual(1.9);
    expect(toneSeconds(r.subarray(0, 8000), RATE, 1000)).toBe(0);
    expect(toneSeconds(r.subarray(8000), RATE, 1000)).toBeGreaterThanOrEqual(0.9);
  });
  it('refuses what is not a pcap', () => {
    expect(() => readPcap(Buffer.from('not a capture file at all'))).toThrow(/magic/);
  });
});
