import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { VirtualScheduler, realScheduler, type Scheduler } from '@outdial/engine';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Headers,
  makeResponse,
  parseMessage,
  parseVia,
  serialize,
  type SipRequest,
  type SipResponse,
} from './message.ts';
import { SipTransport } from './transport.ts';
import { SipUserAgent, type CallHandler, type InviteFailure } from './ua.ts';

const T = { t1: 20, t2: 160, t4: 200 };

/** A scripted far end on UDP: records what it gets, answers as the test says. */
class FakePeer {
  readonly got: { req: SipRequest | null; res: SipResponse | null; at: number }[] = [];
  private sock!: Socket;
  port = 0;
  onRequest: (req: SipRequest, reply: (res: SipResponse) => void, from: { port: number }) => void = () => undefined;

  async start(): Promise<void> {
    this.sock = createSocket('udp4');
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    this.sock.on('message', (data, rinfo) => {
      const m = parseMessage(data);
      if (m.kind === 'response') return void this.got.push({ req: null, res: m, at: Date.now() });
      this.got.push({ req: m, res: null, at: Date.now() });
      this.onRequest(m, (res) => this.send(res, rinfo.port), rinfo);
    });
  }

  send(msg: SipRequest | SipResponse, port: number): void {
    this.sock.send(serialize(msg), port, '127.0.0.1');
  }

  requests(method: string): { req: SipRequest; at: number }[] {
    return this.got.filter((g) => g.req?.method === method).map((g) => ({ req: g.req!, at: g.at }));
  }

  close(): void {
    this.sock.close();
  }
}

function ok(req: SipRequest, status: number, peerPort: number, sdp = ''): SipResponse {
  const res = makeResponse(req, status, { toTag: 'peer1' });
  if (status >= 200 && status < 300) res.headers.append('Contact', `<sip:peer@127.0.0.1:${peerPort}>`);
  if (sdp) {
    res.headers.append('Content-Type', 'application/sdp');
    res.body = sdp;
  }
  return res;
}

interface Heard {
  progress: number[];
  answered: string[];
  failed: InviteFailure[];
  ended: string[];
}

function handler(): CallHandler & { heard: Heard } {
  const heard: Heard = { progress: [], answered: [], failed: [], ended: [] };
  return {
    heard,
    progress: (s) => heard.progress.push(s),
    answered: (sdp) => heard.answered.push(sdp),
    failed: (f) => heard.failed.push(f),
    ended: (by) => heard.ended.push(by),
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(5);
  }
}

describe('SIP user agent against a scripted far end (UDP, short timers)', () => {
  let transport: SipTransport;
  let ua: SipUserAgent;
  let peer: FakePeer;
  const open: { close(): unknown }[] = [];

  const setup = async (scheduler: Scheduler = realScheduler) => {
    transport = new SipTransport({ host: '127.0.0.1', port: 0 });
    await transport.start();
    ua = new SipUserAgent({ transport, scheduler, timers: T });
    peer = new FakePeer();
    await peer.start();
    open.push(peer, { close: () => ua.close() }, { close: () => transport.close() });
  };
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  const invite = (h: CallHandler, sdp = 'v=0\r\n') =>
    ua.invite(
      {
        target: `sip:+861@127.0.0.1:${peer.port}`,
        nextHop: { transport: 'udp', host: '127.0.0.1', port: peer.port },
        from: { uri: 'sip:+8610@127.0.0.1' },
        to: `sip:+861@127.0.0.1:${peer.port}`,
        sdp,
        credentials: { username: 'u', password: 'p' },
      },
      h,
    );

  /** Timers on virtual time (deterministic on a loaded machine); packets over real loopback UDP. */
  const virtual = () => {
    const clock = new VirtualScheduler(0);
    const tick = async (ms: number) => {
      clock.advance(ms);
      await wait(25);
    };
    return { clock, tick };
  };

  it('retransmits an unanswered INVITE at T1, then 2·T1 later, and ACKs the 2xx on a new branch', async () => {
    const { clock, tick } = virtual();
    await setup(clock);
    let n = 0;
    peer.onRequest = (req, reply) => {
      if (req.method !== 'INVITE' || ++n < 3) return;
      reply(ok(req, 180, peer.port));
      reply(ok(req, 200, peer.port, 'v=0\r\nanswer\r\n'));
    };
    const h = handler();
    invite(h);
    await tick(0);
    expect(peer.requests('INVITE')).toHaveLength(1);
    await tick(T.t1 - 1);
    expect(peer.requests('INVITE')).toHaveLength(1);
    await tick(1); // t = T1
    expect(peer.requests('INVITE')).toHaveLength(2);
    await tick(2 * T.t1 - 1);
    expect(peer.requests('INVITE')).toHaveLength(2);
    await tick(1); // t = 3·T1
    await until(() => h.heard.answered.length === 1 && peer.requests('ACK').length === 1);
    const invites = peer.requests('INVITE');
    expect(invites).toHaveLength(3);
    // Same transaction throughout; the ACK for a 2xx is its own transaction.
    const branch = (r: SipRequest) => parseVia(r.headers.get('via')!).params['branch'];
    expect(new Set(invites.map((i) => branch(i.req))).size).toBe(1);
    const ack = peer.requests('ACK')[0]!.req;
    expect(branch(ack)).not.toBe(branch(invites[0]!.req));
    expect(ack.uri).toBe(`sip:peer@127.0.0.1:${peer.port}`);
    expect(ack.headers.get('cseq')).toBe(`${invites[0]!.req.headers.get('cseq')!.split(' ')[0]} ACK`);
    expect(h.heard.progress).toEqual([180]);
    // Answered: no more retransmissions.
    await tick(10 * T.t1);
    expect(peer.requests('INVITE')).toHaveLength(3);
  });

  it('gives up after timer B (64·T1) with a timeout when nothing answers, retransmitting at doubling intervals', async () => {
    const { clock, tick } = virtual();
    await setup(clock);
    const h = handler();
    invite(h);
    await tick(0);
    const seen: number[] = [];
    for (let t = 0; t < 64 * T.t1; t += T.t1) {
      seen.push(peer.requests('INVITE').length);
      await tick(T.t1);
    }
    // Sent at 0, T1, 3·T1, 7·T1, 15·T1, 31·T1, 63·T1.
    const at = [0, 1, 3, 7, 15, 31, 63];
    seen.forEach((count, i) => expect(count).toBe(at.filter((x) => x <= i).length));
    expect(h.heard.failed).toEqual([{ kind: 'timeout' }]);
    expect(peer.requests('INVITE')).toHaveLength(7);
  });

  it('ACKs a non-2xx final on the INVITE’s branch, again for its retransmission, and reports it once', async () => {
    await setup();
    peer.onRequest = (req, reply) => {
      if (req.method !== 'INVITE') return;
      const busy = ok(req, 486, peer.port);
      reply(busy);
      setTimeout(() => reply(busy), 30);
    };
    const h = handler();
    invite(h);
    await until(() => peer.requests('ACK').length === 2);
    await wait(50);
    expect(h.heard.failed).toEqual([{ kind: 'response', status: 486, reason: 'Busy Here', retryAfterS: null }]);
    const inv = peer.requests('INVITE')[0]!.req;
    for (const a of peer.requests('ACK'))
      expect(parseVia(a.req.headers.get('via')!).params['branch']).toBe(
        parseVia(inv.headers.get('via')!).params['branch'],
      );
  });

  it('keeps a 503’s Retry-After', async () => {
    await setup();
    peer.onRequest = (req, reply) => {
      if (req.method !== 'INVITE') return;
      const r = ok(req, 503, peer.port);
      r.headers.append('Retry-After', '120 (maintenance)');
      reply(r);
    };
    const h = handler();
    invite(h);
    await until(() => h.heard.failed.length === 1);
    expect(h.heard.failed[0]).toMatchObject({ kind: 'response', status: 503, retryAfterS: 120 });
  });

  it('answers a proxy challenge once with credentials (CSeq + 1); refuses a second challenge as auth failure', async () => {
    await setup();
    peer.onRequest = (req, reply) => {
      if (req.method !== 'INVITE') return;
      const r = ok(req, 407, peer.port);
      r.headers.append('Proxy-Authenticate', 'Digest realm="c", nonce="n1", qop="auth"');
      reply(r);
    };
    const h = handler();
    invite(h);
    await until(() => h.heard.failed.length === 1);
    const invites = peer.requests('INVITE');
    expect(invites).toHaveLength(2);
    expect(invites[1]!.req.headers.get('proxy-authorization')).toMatch(/^Digest username="u", realm="c"/);
    const seq = (r: SipRequest) => Number(r.headers.get('cseq')!.split(' ')[0]);
    expect(seq(invites[1]!.req)).toBe(seq(invites[0]!.req) + 1);
    expect(h.heard.failed[0]).toMatchObject({ kind: 'auth', status: 407, message: 'credentials refused' });
  });

  it('re-ACKs a retransmitted 2xx; a BYE from the far end is answered 200 (again for its retransmission) and ends the call', async () => {
    await setup();
    peer.onRequest = (req, reply) => {
      if (req.method !== 'INVITE') return;
      const r = ok(req, 200, peer.port, 'v=0\r\n');
      reply(r);
      setTimeout(() => reply(r), 25);
    };
    const h = handler();
    const call = invite(h);
    await until(() => peer.requests('ACK').length === 2);
    expect(h.heard.answered).toHaveLength(1);
    const inv = peer.requests('INVITE')[0]!.req;
    const bye: SipRequest = {
      kind: 'request',
      method: 'BYE',
      uri: `sip:outdial@127.0.0.1:${transport.port}`,
      headers: Headers.from({
        Via: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKbye1`,
        From: `<sip:+861@127.0.0.1>;tag=peer1`,
        To: `${inv.headers.get('from')}`,
        'Call-ID': call.callId,
        CSeq: '1 BYE',
      }),
      body: '',
    };
    peer.send(bye, transport.port);
    await until(() => h.heard.ended.length === 1);
    peer.send(bye, transport.port);
    await until(
      () => peer.got.filter((g) => g.res?.status === 200 && g.res.headers.get('cseq') === '1 BYE').length === 2,
    );
    expect(h.heard.ended).toEqual(['remote']);
  });

  it('CANCELs a ringing call on the INVITE’s branch; the 487 is ACKed and reported', async () => {
    await setup();
    let invReq: SipRequest | null = null;
    peer.onRequest = (req, reply) => {
      if (req.method === 'INVITE') {
        invReq = req;
        reply(ok(req, 180, peer.port));
      }
      if (req.method === 'CANCEL') {
        reply(makeResponse(req, 200, { toTag: 'peer1' }));
        reply(ok(invReq!, 487, peer.port));
      }
    };
    const h = handler();
    const call = invite(h);
    await until(() => h.heard.progress.length === 1);
    call.cancel();
    await until(() => h.heard.failed.length === 1 && peer.requests('ACK').length === 1);
    const cancel = peer.requests('CANCEL')[0]!.req;
    expect(parseVia(cancel.headers.get('via')!).params['branch']).toBe(
      parseVia(invReq!.headers.get('via')!).params['branch'],
    );
    expect(h.heard.failed[0]).toMatchObject({ kind: 'response', status: 487 });
  });

  it('our BYE is retransmitted at T1, 2·T1, … capped at T2 until answered, and the end reported once', async () => {
    const { clock, tick } = virtual();
    await setup(clock);
    let byes = 0;
    peer.onRequest = (req, reply) => {
      if (req.method === 'INVITE') reply(ok(req, 200, peer.port, 'v=0\r\n'));
      if (req.method === 'BYE' && ++byes === 6) reply(makeResponse(req, 200));
    };
    const h = handler();
    const call = invite(h);
    await tick(0);
    await until(() => h.heard.answered.length === 1);
    call.bye();
    await tick(0);
    // Gaps T1, 2·T1, 4·T1, then T2 (= 8·T1 here) twice: sent at 0, 1, 3, 7, 15, 23 (× T1).
    const at = [0, 1, 3, 7, 15, 23];
    for (let i = 0; i <= 23; i++) {
      expect(peer.requests('BYE')).toHaveLength(at.filter((x) => x <= i).length);
      await tick(T.t1);
    }
    await until(() => h.heard.ended.length === 1);
    expect(h.heard.ended).toEqual(['local']);
    await tick(20 * T.t1);
    expect(peer.requests('BYE')).toHaveLength(6);
  });
});

describe('SIP over TCP', () => {
  let server: Server;
  let transport: SipTransport;
  afterEach(async () => {
    server?.close();
    await transport?.close();
  });

  it('frames messages by Content-Length across split and joined segments, and reports a refused connection', async () => {
    const conns: TcpSocket[] = [];
    server = createServer((s) => {
      conns.push(s);
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        if (!buf.includes('\r\n\r\n')) return;
        const inv = parseMessage(buf) as SipRequest;
        const trying = serialize(makeResponse(inv, 100));
        const ringing = makeResponse(inv, 180, { toTag: 't' });
        const okRes = makeResponse(inv, 200, { toTag: 't' });
        okRes.headers.append('Contact', '<sip:peer@127.0.0.1;transport=tcp>');
        okRes.headers.append('Content-Type', 'application/sdp');
        okRes.body = 'v=0\r\nanswer\r\n';
        const both = Buffer.concat([trying, serialize(ringing), serialize(okRes)]);
        // 100+180 and the head of the 200 in one write, the rest later.
        s.write(both.subarray(0, both.length - 7));
        setTimeout(() => s.write(both.subarray(both.length - 7)), 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    transport = new SipTransport({ host: '127.0.0.1', port: 0 });
    await transport.start();
    const ua = new SipUserAgent({ transport, scheduler: realScheduler, timers: T });
    const h = handler();
    ua.invite(
      {
        target: `sip:x@127.0.0.1:${port};transport=tcp`,
        nextHop: { transport: 'tcp', host: '127.0.0.1', port },
        from: { uri: 'sip:a@127.0.0.1' },
        to: `sip:x@127.0.0.1:${port}`,
        sdp: 'v=0\r\n',
      },
      h,
    );
    await until(() => h.heard.answered.length === 1);
    expect(h.heard.progress).toEqual([180]);
    expect(h.heard.answered[0]).toBe('v=0\r\nanswer\r\n');
    for (const c of conns) c.destroy();

    const h2 = handler();
    ua.invite(
      {
        target: 'sip:x@127.0.0.1:9;transport=tcp',
        nextHop: { transport: 'tcp', host: '127.0.0.1', port: 9 },
        from: { uri: 'sip:a@127.0.0.1' },
        to: 'sip:x@127.0.0.1:9',
        sdp: 'v=0\r\n',
      },
      h2,
    );
    await until(() => h2.heard.failed.length === 1);
    expect(h2.heard.failed[0]).toMatchObject({ kind: 'transport' });
    ua.close();
  });
});
