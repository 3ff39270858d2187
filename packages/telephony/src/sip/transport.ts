import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { parseMessage, serialize, SipParseError, type SipMessage } from './message.ts';

export type TransportKind = 'udp' | 'tcp';

/** Where a message came from or goes to. */
export interface Remote {
  transport: TransportKind;
  host: string;
  port: number;
}

export const remoteKey = (r: Remote) => `${r.transport}:${r.host}:${r.port}`;

/** A send that could not leave (connection refused, reset, socket closed): RFC 3261 §8.1.3.1 treats it as a 503. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly remote: Remote,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface TransportOptions {
  /** Address to bind (loopback in tests: never anything else there). */
  host: string;
  /** UDP and TCP port (0: any free port, the same number for both when possible). */
  port: number;
  /** Bytes a TCP connection may buffer before a message is complete (flood guard). */
  maxTcpBuffer?: number;
  log?: (msg: string) => void;
}

const MAX_UDP = 65_507;

/**
 * SIP over UDP and TCP on one address (RFC 3261 §18). UDP: one datagram, one message. TCP: a
 * stream framed by Content-Length; connections are reused both ways — outgoing ones keyed by
 * their destination, incoming ones by their source, so a response goes back on the connection
 * its request came in on. A message that does not parse is logged and dropped.
 */
export class SipTransport {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly conns = new Map<string, Promise<Socket>>();
  private readonly listeners = new Set<(msg: SipMessage, remote: Remote) => void>();
  private boundPort = 0;
  private closed = false;

  constructor(private readonly opts: TransportOptions) {}

  get host(): string {
    return this.opts.host;
  }

  get port(): number {
    return this.boundPort;
  }

  onMessage(fn: (msg: SipMessage, remote: Remote) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(): Promise<void> {
    const udp = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port, this.opts.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (err) => this.log(`udp error: ${err.message}`));
    udp.on('message', (data, rinfo) => this.deliver(data, { transport: 'udp', host: rinfo.address, port: rinfo.port }));
    this.udp = udp;
    this.boundPort = udp.address().port;
    const tcp = createServer((sock) => this.adopt(sock));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.boundPort, this.opts.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    tcp.on('error', (err) => this.log(`tcp server error: ${err.message}`));
    this.tcp = tcp;
  }

  /** Sends one message; rejects with a TransportError when it cannot leave. */
  async send(msg: SipMessage, remote: Remote): Promise<void> {
    if (this.closed) throw new TransportError('transport closed', remote);
    const data = serialize(msg);
    if (remote.transport === 'udp') {
      if (!this.udp) throw new TransportError('UDP not started', remote);
      if (data.length > MAX_UDP) throw new TransportError(`message of ${data.length} bytes too large for UDP`, remote);
      const udp = this.udp;
      await new Promise<void>((resolve, reject) =>
        udp.send(data, remote.port, remote.host, (err) =>
          err ? reject(new TransportError(err.message, remote)) : resolve(),
        ),
      );
      return;
    }
    const sock = await this.connection(remote);
    await new Promise<void>((resolve, reject) =>
      sock.write(data, (err) => (err ? reject(new TransportError(err.message, remote)) : resolve())),
    );
  }

  private connection(remote: Remote): Promise<Socket> {
    const key = remoteKey(remote);
    const existing = this.conns.get(key);
    if (existing) return existing;
    const p = new Promise<Socket>((resolve, reject) => {
      const sock = connect({ host: remote.host, port: remote.port, localAddress: this.opts.host });
      sock.once('connect', () => {
        sock.off('error', onError);
        this.adopt(sock, key);
        resolve(sock);
      });
      const onError = (err: Error) => {
        this.conns.delete(key);
        reject(new TransportError(`TCP connect to ${remote.host}:${remote.port}: ${err.message}`, remote));
      };
      sock.once('error', onError);
    });
    this.conns.set(key, p);
    p.catch(() => undefined);
    return p;
  }

  /** Reads messages from a TCP connection and keeps it for replies. */
  private adopt(sock: Socket, key?: string): void {
    const remote: Remote = { transport: 'tcp', host: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    const k = key ?? remoteKey(remote);
    if (!key) this.conns.set(k, Promise.resolve(sock));
    let buf: Buffer = Buffer.alloc(0);
    const max = this.opts.maxTcpBuffer ?? 1_000_000;
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        // Keep-alive CRLFs between messages (RFC 5626 §3.5.1) are skipped.
        let skip = 0;
        while (skip + 1 < buf.length && buf[skip] === 13 && buf[skip + 1] === 10) skip += 2;
        if (skip) buf = buf.subarray(skip);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = buf.subarray(0, end).toString('latin1');
        const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec('\r\n' + head);
        if (!m) {
          this.log(`tcp ${k}: message without Content-Length; closing the connection`);
          sock.destroy();
          return;
        }
        const total = end + 4 + Number(m[1]);
        if (buf.length < total) break;
        this.deliver(buf.subarray(0, total), remote);
        buf = buf.subarray(total);
      }
      if (buf.length > max) {
        this.log(`tcp ${k}: ${buf.length} bytes without a complete message; closing the connection`);
        sock.destroy();
      }
    });
    sock.on('error', (err) => this.log(`tcp ${k}: ${err.message}`));
    sock.on('close', () => {
      // Only forget the connection if it is still the one kept under this key.
      void this.conns.get(k)?.then((s) => s === sock && this.conns.delete(k));
    });
  }

  private deliver(data: Buffer, remote: Remote): void {
    let msg: SipMessage;
    try {
      if (data.length <= 4 && data.toString('latin1').trim() === '') return; // keep-alive
      msg = parseMessage(data);
    } catch (err) {
      const why = err instanceof SipParseError ? err.message : String(err);
      this.log(`dropped a malformed message from ${remoteKey(remote)}: ${why}`);
      return;
    }
    for (const l of this.listeners) {
      try {
        l(msg, remote);
      } catch (err) {
        this.log(`handler failed on a message from ${remoteKey(remote)}: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }

  private log(m: string): void {
    this.opts.log?.(`sip transport: ${m}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.conns.values()) void p.then((s) => s.destroy()).catch(() => undefined);
    this.conns.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }
}
