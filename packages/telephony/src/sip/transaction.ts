import type { Scheduler } from '@outdial/engine';
import { Headers, parseVia, type SipRequest, type SipResponse } from './message.ts';
import { TransportError, type Remote, type SipTransport } from './transport.ts';

/** RFC 3261 timer values (§17.1.1.1); tests may shrink them, production keeps the defaults. */
export interface SipTimers {
  t1: number;
  t2: number;
  t4: number;
}

export const defaultTimers: SipTimers = { t1: 500, t2: 4000, t4: 5000 };

/** How a client transaction ended without a real final response. */
export type TxFailure = { kind: 'timeout' } | { kind: 'transport'; message: string };

export interface ClientTxUser {
  response(res: SipResponse): void;
  failed(f: TxFailure): void;
}

type ClientState = 'calling' | 'proceeding' | 'completed' | 'terminated';

/**
 * A client transaction (RFC 3261 §17.1): INVITE (timers A, B, D; ACK for non-2xx finals sent
 * here with the same branch) or non-INVITE (timers E, F, K). On UDP requests are retransmitted
 * until a response comes; on TCP only the timeouts run. A 2xx to an INVITE ends the
 * transaction at once — its retransmissions are the dialog's business (§13.2.2.4).
 */
export class ClientTransaction {
  private state: ClientState = 'calling';
  private retransmit: unknown;
  private timeout: unknown;
  private interval: number;
  private ack: SipRequest | null = null;
  private finalSeen = false;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    private readonly deps: {
      transport: SipTransport;
      scheduler: Scheduler;
      timers: SipTimers;
      user: ClientTxUser;
      onTerminated: (tx: ClientTransaction) => void;
    },
  ) {
    this.interval = deps.timers.t1;
  }

  get branch(): string {
    return parseVia(this.request.headers.get('via')!).params['branch'] ?? '';
  }

  get method(): string {
    return this.request.method;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  start(): void {
    const { scheduler, timers } = this.deps;
    this.send(this.request);
    if (this.remote.transport === 'udp') this.armRetransmit();
    this.timeout = scheduler.setTimeout(() => this.onTimeout(), 64 * timers.t1);
  }

  private armRetransmit(): void {
    const { scheduler, timers } = this.deps;
    this.retransmit = scheduler.setTimeout(() => {
      if (this.state === 'terminated' || this.state === 'completed') return;
      // INVITE: stop retransmitting once a provisional came (§17.1.1.2); non-INVITE: keep going at T2.
      if (this.isInvite && this.state === 'proceeding') return;
      this.send(this.request);
      this.interval = this.isInvite ? this.interval * 2 : Math.min(this.interval * 2, timers.t2);
      if (!this.isInvite && this.state === 'proceeding') this.interval = timers.t2;
      this.armRetransmit();
    }, this.interval);
  }

  private send(msg: SipRequest): void {
    this.deps.transport.send(msg, this.remote).catch((err: unknown) => {
      if (this.state === 'terminated' || this.finalSeen) return;
      const message = err instanceof TransportError ? err.message : String(err);
      this.terminate();
      this.deps.user.failed({ kind: 'transport', message });
    });
  }

  private onTimeout(): void {
    if (this.state === 'terminated' || this.state === 'completed') return;
    this.terminate();
    this.deps.user.failed({ kind: 'timeout' });
  }

  receive(res: SipResponse): void {
    const { scheduler, timers } = this.deps;
    if (this.state === 'terminated') return;
    if (res.status < 200) {
      if (this.state === 'calling') this.state = 'proceeding';
      this.deps.user.response(res);
      return;
    }
    if (this.state === 'completed') {
      // A retransmitted final: the ACK was lost (INVITE), send it again; non-INVITE absorbs it.
      if (this.ack) this.send(this.ack);
      return;
    }
    this.finalSeen = true;
    scheduler.clearTimeout(this.retransmit);
    scheduler.clearTimeout(this.timeout);
    if (this.isInvite && res.status < 300) {
      this.terminate();
      this.deps.user.response(res);
      return;
    }
    this.state = 'completed';
    if (this.isInvite) {
      this.ack = this.ackFor(res);
      this.send(this.ack);
    }
    this.deps.user.response(res);
    const linger = this.remote.transport === 'udp' ? (this.isInvite ? 32_000 : timers.t4) : 0;
    this.timeout = scheduler.setTimeout(() => this.terminate(), linger);
  }

  /** The ACK for a non-2xx final (§17.1.1.3): same branch, Request-URI, From, Call-ID, Route; the response's To. */
  private ackFor(res: SipResponse): SipRequest {
    const h = new Headers();
    h.append('Via', this.request.headers.get('via')!);
    for (const r of this.request.headers.all('route')) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', this.request.headers.get('from')!);
    h.append('To', res.headers.get('to')!);
    h.append('Call-ID', this.request.headers.get('call-id')!);
    h.append('CSeq', `${this.request.headers.get('cseq')!.split(/\s+/)[0]} ACK`);
    return { kind: 'request', method: 'ACK', uri: this.request.uri, headers: h, body: '' };
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.deps.scheduler.clearTimeout(this.retransmit);
    this.deps.scheduler.clearTimeout(this.timeout);
    this.deps.onTerminated(this);
  }
}

/**
 * A server transaction for a request this UA answers (§17.2): a retransmitted request gets
 * the last response again. Non-2xx finals to an INVITE are retransmitted (timer G) until the
 * ACK comes or timer H fires; 2xx retransmission belongs to the dialog (§13.3.1.4).
 */
export class ServerTransaction {
  private last: SipResponse | null = null;
  private timer: unknown;
  private ended = false;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    private readonly deps: {
      transport: SipTransport;
      scheduler: Scheduler;
      timers: SipTimers;
      log: (m: string) => void;
      onTerminated: (tx: ServerTransaction) => void;
    },
  ) {}

  /** Where responses go (§18.2.2): the connection it came on (TCP) or Via's received/rport (UDP). */
  private responseTarget(): Remote {
    if (this.remote.transport === 'tcp') return this.remote;
    const via = parseVia(this.request.headers.get('via')!);
    const rport = via.params['rport'];
    return {
      transport: 'udp',
      host: via.params['received'] ?? this.remote.host,
      port: rport ? Number(rport) : (via.port ?? this.remote.port ?? 5060),
    };
  }

  respond(res: SipResponse): void {
    if (this.ended) return;
    this.last = res;
    this.transmit(res);
    if (res.status < 200) return;
    const { scheduler, timers } = this.deps;
    scheduler.clearTimeout(this.timer);
    if (this.request.method === 'INVITE' && res.status >= 300 && this.remote.transport === 'udp') {
      let interval = timers.t1;
      const started = scheduler.now();
      const again = () => {
        if (this.ended) return;
        if (scheduler.now() - started >= 64 * timers.t1) return this.terminate();
        this.transmit(res);
        interval = Math.min(interval * 2, timers.t2);
        this.timer = scheduler.setTimeout(again, interval);
      };
      this.timer = scheduler.setTimeout(again, interval);
      return;
    }
    // Linger to answer retransmissions (timer J / the 2xx case), then forget.
    this.timer = scheduler.setTimeout(() => this.terminate(), this.remote.transport === 'udp' ? 64 * timers.t1 : 0);
  }

  /** The same request again: answer with the last response (if any yet). */
  retransmitted(): void {
    if (this.last) this.transmit(this.last);
  }

  /** ACK for a non-2xx final: stop retransmitting, linger T4 for stray ACKs (timer I). */
  acked(): void {
    this.deps.scheduler.clearTimeout(this.timer);
    this.timer = this.deps.scheduler.setTimeout(
      () => this.terminate(),
      this.remote.transport === 'udp' ? this.deps.timers.t4 : 0,
    );
  }

  private transmit(res: SipResponse): void {
    const to = this.responseTarget();
    this.deps.transport
      .send(res, to)
      .catch((err: unknown) => this.deps.log(`could not send ${res.status} to ${to.host}:${to.port}: ${String(err)}`));
  }

  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    this.deps.scheduler.clearTimeout(this.timer);
    this.deps.onTerminated(this);
  }
}
