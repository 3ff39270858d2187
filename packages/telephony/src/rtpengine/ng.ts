import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import bencode from 'bencode';

/**
 * A client of rtpengine's control protocol ("ng"): bencoded dictionaries over UDP, each
 * request prefixed by a cookie that its response repeats. rtpengine caches responses by
 * cookie, so a request whose response is lost is simply sent again with the same cookie.
 */

export type NgValue = string | number | NgValue[] | { [k: string]: NgValue };
export type NgDict = { [k: string]: NgValue };

export class NgError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(`rtpengine ${command}: ${message}`);
    this.name = 'NgError';
  }
}

export interface NgOptions {
  host: string;
  port: number;
  /** Per try; the request is sent `tries` times before giving up. */
  timeoutMs?: number;
  tries?: number;
  log?: (m: string) => void;
}

interface Pending {
  command: string;
  resolve: (d: NgDict) => void;
  reject: (e: Error) => void;
}

export class NgClient {
  private socket: Socket | null = null;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly opts: NgOptions) {}

  private async open(): Promise<Socket> {
    if (this.socket) return this.socket;
    const s = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, this.opts.host === '127.0.0.1' ? '127.0.0.1' : undefined, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (err) => this.opts.log?.(`rtpengine socket: ${err.message}`));
    s.on('message', (data) => this.receive(data));
    this.socket = s;
    return s;
  }

  private receive(data: Buffer): void {
    const sp = data.indexOf(0x20);
    if (sp <= 0) return this.opts.log?.('rtpengine: a reply without a cookie');
    const cookie = data.subarray(0, sp).toString('latin1');
    const p = this.pending.get(cookie);
    if (!p) return; // a late duplicate
    this.pending.delete(cookie);
    let reply: unknown;
    try {
      reply = toStrings(bencode.decode(new Uint8Array(data.subarray(sp + 1))));
    } catch (err) {
      return p.reject(new NgError(p.command, `undecodable reply: ${(err as Error).message}`));
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply))
      return p.reject(new NgError(p.command, 'reply is not a dictionary'));
    const d = reply as NgDict;
    if (d['result'] === 'error')
      return p.reject(new NgError(p.command, typeof d['error-reason'] === 'string' ? d['error-reason'] : 'error'));
    if (d['result'] === 'load limit') return p.reject(new NgError(p.command, 'load limit reached'));
    p.resolve(d);
  }

  /** Sends a command and resolves with its reply (result "ok" or "pong"); rejects on "error" or no reply. */
  async command(command: string, params: NgDict = {}): Promise<NgDict> {
    const s = await this.open();
    const cookie = randomBytes(6).toString('hex');
    const payload = Buffer.concat([Buffer.from(`${cookie} `), Buffer.from(bencode.encode({ ...params, command }))]);
    const tries = this.opts.tries ?? 3;
    const timeout = this.opts.timeoutMs ?? 1000;
    return new Promise<NgDict>((resolve, reject) => {
      let n = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (fn: () => void) => {
        clearTimeout(timer);
        fn();
      };
      this.pending.set(cookie, {
        command,
        resolve: (d) => done(() => resolve(d)),
        reject: (e) => done(() => reject(e)),
      });
      const send = () => {
        if (!this.pending.has(cookie)) return;
        if (n++ >= tries) {
          this.pending.delete(cookie);
          return reject(new NgError(command, `no reply from ${this.opts.host}:${this.opts.port} after ${tries} tries`));
        }
        s.send(payload, this.opts.port, this.opts.host, (err) => {
          if (err) this.opts.log?.(`rtpengine send: ${err.message}`);
        });
        timer = setTimeout(send, timeout);
      };
      send();
    });
  }

  ping(): Promise<NgDict> {
    return this.command('ping');
  }

  close(): void {
    for (const p of this.pending.values()) p.reject(new NgError(p.command, 'client closed'));
    this.pending.clear();
    this.socket?.close();
    this.socket = null;
  }
}

/** The `sdp` of an offer/answer reply. */
export function sdpOf(reply: NgDict, command: string): string {
  const sdp = reply['sdp'];
  if (typeof sdp !== 'string' || !sdp) throw new NgError(command, 'reply without SDP');
  return sdp;
}

const utf8 = new TextDecoder();

/** bencode gives byte strings; the ng protocol's strings are UTF-8 text. */
function toStrings(v: unknown): unknown {
  if (v instanceof Uint8Array) return utf8.decode(v);
  if (Array.isArray(v)) return v.map(toStrings);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toStrings(x)]));
  return v;
}
