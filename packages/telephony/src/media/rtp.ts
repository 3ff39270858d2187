import { createSocket, type Socket } from 'node:dgram';
import alawmulaw from 'alawmulaw';
import { parse as parseSdp } from 'sdp-transform';

/** One RTP packet's fields (RFC 3550 §5.1) that the platform looks at. */
export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

/** Parses an RTP packet; null for anything that is not RTP version 2 or is cut short. */
export function parseRtp(b: Buffer): RtpPacket | null {
  if (b.length < 12 || b[0]! >> 6 !== 2) return null;
  const cc = b[0]! & 0x0f;
  const hasExt = (b[0]! & 0x10) !== 0;
  const padding = (b[0]! & 0x20) !== 0;
  let off = 12 + cc * 4;
  if (hasExt) {
    if (b.length < off + 4) return null;
    off += 4 + b.readUInt16BE(off + 2) * 4;
  }
  let end = b.length;
  if (padding) end -= b[b.length - 1]!;
  if (off > end) return null;
  const pt = b[1]! & 0x7f;
  // RTCP multiplexed on the port (payload types 72–76 with the marker bit) is not media.
  if (pt >= 72 && pt <= 76) return null;
  return {
    payloadType: pt,
    marker: (b[1]! & 0x80) !== 0,
    seq: b.readUInt16BE(2),
    timestamp: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
    payload: b.subarray(off, end),
  };
}

/** RFC 4733 telephone-event codes 0–15. */
export const DTMF_DIGITS = '0123456789*#ABCD';

/**
 * The platform's own media endpoint for a call before an agent takes it: the customer's audio
 * arrives here (through rtpengine) for answering-machine detection and DTMF. It sends nothing:
 * prompts are played by rtpengine.
 */
export class MediaEndpoint {
  private socket: Socket | null = null;
  private dtmfPt = 101;
  private lastEvent = -1;
  private readonly audio = new Set<(samples: Int16Array) => void>();
  private readonly digits = new Set<(digit: string) => void>();
  packets = 0;

  constructor(private readonly host: string) {}

  async open(): Promise<number> {
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, this.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('message', (m) => this.receive(m));
    s.on('error', () => undefined);
    this.socket = s;
    return s.address().port;
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  /** An SDP offer for this endpoint: PCMU and RFC 4733 events. */
  offer(sessionId: number): string {
    return [
      'v=0',
      `o=outdial ${sessionId} 1 IN IP4 ${this.host}`,
      's=outdial',
      `c=IN IP4 ${this.host}`,
      't=0 0',
      `m=audio ${this.port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
  }

  /** Takes the payload type the far end uses for telephone-event from its SDP. */
  learn(sdp: string): void {
    try {
      for (const m of parseSdp(sdp).media)
        for (const r of m.rtp ?? []) if (r.codec.toLowerCase() === 'telephone-event') this.dtmfPt = r.payload;
    } catch {
      // Keep the default 101.
    }
  }

  onAudio(fn: (samples: Int16Array) => void): () => void {
    this.audio.add(fn);
    return () => this.audio.delete(fn);
  }

  onDigit(fn: (digit: string) => void): () => void {
    this.digits.add(fn);
    return () => this.digits.delete(fn);
  }

  private receive(b: Buffer): void {
    const p = parseRtp(b);
    if (!p) return;
    this.packets++;
    if (p.payloadType === this.dtmfPt) {
      if (p.payload.length < 4) return;
      const code = p.payload[0]!;
      // One digit per event: every packet of an event shares its RTP timestamp.
      if (p.timestamp === this.lastEvent || code > 15) return;
      this.lastEvent = p.timestamp;
      const digit = DTMF_DIGITS[code]!;
      for (const fn of this.digits) fn(digit);
      return;
    }
    if (p.payloadType === 0 && this.audio.size) {
      const samples = alawmulaw.mulaw.decode(new Uint8Array(p.payload));
      for (const fn of this.audio) fn(samples);
    }
  }

  close(): void {
    this.audio.clear();
    this.digits.clear();
    this.socket?.close();
    this.socket = null;
  }
}
