import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import wavefile from 'wavefile';
import { parseRtp } from './rtp.ts';

/**
 * Call recordings: rtpengine (user space) writes each call's received RTP to a pcap file
 * (`--recording-method=pcap`); WAV output needs its kernel module, so the pcap is turned into
 * a stereo WAV here — left the customer, right the platform side (the agent; prompts are
 * not in it) — by decoding G.711 and placing each packet at its time in the call.
 *
 * pcap (libpcap's file format) is 24 bytes of header and a 16-byte header per packet; the
 * link type rtpengine uses is raw IPv4 (101). Too small a format to take a library for.
 */

export interface PcapPacket {
  /** Seconds since the epoch (with microseconds). */
  t: number;
  src: string;
  dst: string;
  payload: Buffer;
}

export function readPcap(buf: Buffer): PcapPacket[] {
  if (buf.length < 24) throw new Error('pcap: shorter than its header');
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d)
    throw new Error('pcap: bad magic number');
  const nano = (le ? magic : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  const out: PcapPacket[] = [];
  let o = 24;
  while (o + 16 <= buf.length) {
    const t = u32(o) + u32(o + 4) / (nano ? 1e9 : 1e6);
    const len = u32(o + 8);
    let p = buf.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    if (link === 1)
      p = p.subarray(14); // Ethernet
    else if (link === 113)
      p = p.subarray(16); // Linux cooked
    else if (link !== 101 && link !== 228) continue;
    if (p.length < 28 || p[0]! >> 4 !== 4 || p[9] !== 17) continue; // IPv4 UDP only
    const ihl = (p[0]! & 0x0f) * 4;
    const ip = (at: number) => `${p[at]}.${p[at + 1]}.${p[at + 2]}.${p[at + 3]}`;
    const sport = p.readUInt16BE(ihl);
    const dport = p.readUInt16BE(ihl + 2);
    out.push({ t, src: `${ip(12)}:${sport}`, dst: `${ip(16)}:${dport}`, payload: p.subarray(ihl + 8) });
  }
  return out;
}

/**
 * Mixes a call's packets into two channels: packets whose source is `customer` (its media
 * address) go left, everything else right. Each SSRC run is anchored at its first packet's
 * arrival and then follows its RTP timestamps, so jitter does not smear the audio.
 */
export function pcapToStereo(
  packets: PcapPacket[],
  customer: (src: string) => boolean,
): { left: Int16Array; right: Int16Array } {
  const media = packets
    .map((p) => ({ p, rtp: parseRtp(p.payload) }))
    .filter((x) => x.rtp && (x.rtp.payloadType === 0 || x.rtp.payloadType === 8));
  if (media.length === 0) return { left: new Int16Array(0), right: new Int16Array(0) };
  const t0 = Math.min(...media.map((m) => m.p.t));
  const placed: { side: 0 | 1; at: number; samples: Int16Array }[] = [];
  const anchors = new Map<number, { at: number; ts: number }>();
  let end = 0;
  for (const { p, rtp } of media) {
    const r = rtp!;
    let a = anchors.get(r.ssrc);
    const arrival = Math.round((p.t - t0) * 8000);
    // A new stream, or one that jumped (re-anchored after a gap or a timestamp reset).
    if (!a || Math.abs(a.at + ((r.timestamp - a.ts) | 0) - arrival) > 8000) {
      a = { at: arrival, ts: r.timestamp };
      anchors.set(r.ssrc, a);
    }
    const at = a.at + ((r.timestamp - a.ts) | 0);
    if (at < 0) continue;
    const bytes = new Uint8Array(r.payload);
    const samples = r.payloadType === 0 ? alawmulaw.mulaw.decode(bytes) : alawmulaw.alaw.decode(bytes);
    placed.push({ side: customer(p.src) ? 0 : 1, at, samples });
    end = Math.max(end, at + samples.length);
  }
  const left = new Int16Array(end);
  const right = new Int16Array(end);
  for (const x of placed) (x.side === 0 ? left : right).set(x.samples, x.at);
  return { left, right };
}

export function writeStereoWav(path: string, ch: { left: Int16Array; right: Int16Array }): number {
  const wav = new wavefile.WaveFile();
  wav.fromScratch(2, 8000, '16', [ch.left, ch.right]);
  writeFileSync(path, wav.toBuffer());
  return Math.round((ch.left.length / 8000) * 1000);
}

/** Reads a WAV file's channels as 16-bit samples (tests measure tones in them). */
export function readWav(path: string): { rate: number; channels: Int16Array[] } {
  const wav = new wavefile.WaveFile(readFileSync(path));
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const raw = wav.getSamples(false, Int16Array) as unknown;
  const channels = fmt.numChannels === 1 ? [raw as Int16Array] : (raw as Int16Array[]);
  return { rate: fmt.sampleRate, channels };
}

/** Turns the pcap rtpengine wrote for a SIP call into `dir/<name>.wav` (and removes the pcap, unless asked to keep it). */
export class PcapRecordings {
  constructor(private readonly opts: { spool: string; dir: string; keepPcap?: boolean; waitMs?: number }) {
    mkdirSync(opts.dir, { recursive: true });
  }

  /** The pcap of a call, once rtpengine has closed it (its size stops changing). */
  private async pcapOf(sipCallId: string): Promise<string | null> {
    const dir = join(this.opts.spool, 'pcaps');
    const prefix = `${encodeURIComponent(sipCallId)}-`;
    const deadline = Date.now() + (this.opts.waitMs ?? 3000);
    let last = -1;
    while (Date.now() < deadline) {
      const f = existsSync(dir) ? readdirSync(dir).find((n) => n.startsWith(prefix) && n.endsWith('.pcap')) : undefined;
      if (f) {
        const path = join(dir, f);
        const size = statSync(path).size;
        if (size === last && size > 24) return path;
        last = size;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  async convert(
    sipCallId: string,
    name: string,
    customerMedia: string | null,
  ): Promise<{ path: string; durationMs: number } | null> {
    const pcap = await this.pcapOf(sipCallId);
    if (!pcap) return null;
    const packets = readPcap(readFileSync(pcap));
    const isCustomer = (src: string) => customerMedia !== null && src === customerMedia;
    const ch = pcapToStereo(packets, isCustomer);
    const path = join(this.opts.dir, `${name}.wav`);
    const durationMs = writeStereoWav(path, ch);
    if (!this.opts.keepPcap) unlinkSync(pcap);
    return { path, durationMs };
  }
}
