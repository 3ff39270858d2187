import { randomBytes } from 'node:crypto';
import type { Scheduler } from '@outdial/engine';
import { authorize, parseChallenge } from './digest.ts';
import {
  Headers,
  formatVia,
  makeResponse,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
  tagOf,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from './message.ts';
import { ClientTransaction, ServerTransaction, defaultTimers, type SipTimers, type TxFailure } from './transaction.ts';
import { remoteKey, type Remote, type SipTransport, type TransportKind } from './transport.ts';

const token = (n = 8) => randomBytes(n).toString('hex');
const BRANCH = 'z9hG4bK';

/** Why an outgoing INVITE did not become a call: a final response, or no response at all. */
export type InviteFailure =
  | { kind: 'response'; status: number; reason: string; retryAfterS: number | null }
  | { kind: 'timeout' }
  | { kind: 'transport'; message: string }
  | { kind: 'auth'; status: number; message: string };

/** What an outgoing call tells its owner, in order. */
export interface CallHandler {
  /** 1xx; `sdp` is the early media answer when the response carried one (183 usually). */
  progress(status: number, sdp: string | null): void;
  /** 2xx: the call is up (already ACKed). */
  answered(sdp: string): void;
  /** The INVITE failed (after `cancel()`: 487, or a final that crossed the CANCEL). */
  failed(f: InviteFailure): void;
  /** An answered call ended: the far end's BYE, our `bye()`, or an in-dialog request that timed out. */
  ended(by: 'remote' | 'local' | 'timeout'): void;
  /** The far end sent a new offer (re-INVITE, hold): the answer to give, null to refuse (488). */
  reoffer?(sdp: string): string | null;
  /** In-dialog INFO (DTMF relay `application/dtmf-relay`): already answered 200. */
  info?(contentType: string, body: string): void;
}

export interface InviteOptions {
  /** Request-URI. */
  target: string;
  /** Where the INVITE goes first (trunk or proxy); in-dialog requests follow Record-Route / Contact. */
  nextHop: Remote;
  /** From (the caller ID) and To URIs. */
  from: { uri: string; display?: string };
  to: string;
  /** SDP offer; empty for an offerless INVITE (3PCC flow I: the answerer offers in its 200). */
  sdp: string;
  credentials?: { username: string; password: string };
  headers?: Record<string, string>;
  callId?: string;
}

type CallState = 'calling' | 'early' | 'confirmed' | 'ended';

/** A confirmed dialog, as written to the journal: enough to send its BYE after a restart. */
export interface DialogState {
  callId: string;
  /** Our From (with our tag) and the far end's To (with theirs). */
  from: string;
  to: string;
  remoteTarget: string;
  routeSet: string[];
  cseq: number;
  transport: TransportKind;
}

/** An INVITE this UA sent and the dialog it made (RFC 3261 §13.2, §12.1.2). */
export class OutgoingCall {
  readonly callId: string;
  readonly localTag = token(6);
  remoteTag: string | null = null;
  state: CallState = 'calling';
  private cseq = Math.floor(Math.random() * 10_000) + 1;
  private invite!: SipRequest;
  private inviteTx: ClientTransaction | null = null;
  private routeSet: string[] = [];
  private remoteTarget: string;
  private remoteCseq: number | null = null;
  private cancelRequested = false;
  private cancelSent = false;
  private authTried = false;
  private ackForAnswer: SipRequest | null = null;
  private answered = false;
  /** The remote offer in a late-offer 200 (3PCC flow I), answered in the ACK by `ackWith`. */
  private pendingAck: { resolve: (sdp: string) => void } | null = null;
  private reinviteBusy = false;
  private failedOnce = false;

  constructor(
    private readonly ua: SipUserAgent,
    private readonly opts: InviteOptions,
    readonly handler: CallHandler,
  ) {
    this.callId = opts.callId ?? `${token(12)}@outdial`;
    this.remoteTarget = opts.target;
  }

  get localCseq(): number {
    return this.cseq;
  }

  /** What it takes to end this dialog from another process (the dialog journal), once confirmed. */
  dialogState(): DialogState | null {
    if (this.state !== 'confirmed' || !this.remoteTag) return null;
    return {
      callId: this.callId,
      from: this.invite.headers.get('from')!,
      to: `<${this.opts.to}>;tag=${this.remoteTag}`,
      remoteTarget: this.remoteTarget,
      routeSet: [...this.routeSet],
      cseq: this.cseq,
      transport: this.opts.nextHop.transport,
    };
  }

  /** The far end's SDP in its answer (or offer, for a late-offer INVITE). */
  remoteSdp: string | null = null;

  start(): void {
    this.invite = this.buildInvite(null);
    this.send(this.invite);
  }

  private buildInvite(auth: { header: string; value: string } | null): SipRequest {
    const o = this.opts;
    const h = new Headers();
    h.append('Via', this.ua.via(o.nextHop.transport));
    h.append('Max-Forwards', '70');
    const display = o.from.display ? `"${o.from.display}" ` : '';
    h.append('From', `${display}<${o.from.uri}>;tag=${this.localTag}`);
    h.append('To', `<${o.to}>`);
    h.append('Call-ID', this.callId);
    h.append('CSeq', `${this.cseq} INVITE`);
    h.append('Contact', this.ua.contact(o.nextHop.transport));
    h.append('Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE');
    h.append('User-Agent', this.ua.userAgent);
    for (const [k, v] of Object.entries(o.headers ?? {})) h.append(k, v);
    if (auth) h.append(auth.header, auth.value);
    if (o.sdp) h.append('Content-Type', 'application/sdp');
    return { kind: 'request', method: 'INVITE', uri: o.target, headers: h, body: o.sdp };
  }

  private send(req: SipRequest): void {
    this.inviteTx = this.ua.sendRequest(req, this.opts.nextHop, {
      response: (res) => this.receiveInviteResponse(res),
      failed: (f) => this.onInviteFailure(f),
    });
  }

  private onInviteFailure(f: TxFailure): void {
    if (this.state === 'confirmed' || this.state === 'ended') return;
    this.fail(f.kind === 'timeout' ? { kind: 'timeout' } : { kind: 'transport', message: f.message });
  }

  private fail(f: InviteFailure): void {
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.state = 'ended';
    this.ua.forget(this);
    this.handler.failed(f);
  }

  /** A response to our INVITE (from its transaction, or a 2xx retransmitted after it ended). */
  receiveInviteResponse(res: SipResponse): void {
    if (this.state === 'ended' && res.status >= 200 && res.status < 300) {
      // A 2xx after we gave up (crossed a CANCEL, forked): take it and end it at once.
      return this.ackAndBye(res);
    }
    if (res.status < 200) {
      if (res.status === 100) return;
      const tag = tagOf(res.headers.get('to'));
      if (tag && !this.remoteTag) this.remoteTag = tag;
      if (this.state === 'calling') this.state = 'early';
      const sdp = isSdp(res) ? res.body : null;
      if (sdp) this.remoteSdp = sdp;
      this.handler.progress(res.status, sdp);
      if (this.cancelRequested && !this.cancelSent) this.sendCancel();
      return;
    }
    if (res.status < 300) return this.onAnswer(res);
    if (
      (res.status === 401 || res.status === 407) &&
      this.opts.credentials &&
      !this.authTried &&
      !this.cancelRequested
    ) {
      this.authTried = true;
      const header = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const raw = res.headers.get(header);
      if (!raw) return this.fail({ kind: 'auth', status: res.status, message: `${res.status} without a challenge` });
      try {
        const value = authorize(parseChallenge(raw), {
          method: 'INVITE',
          uri: this.opts.target,
          ...this.opts.credentials,
        });
        this.cseq++;
        this.remoteTag = null;
        this.state = 'calling';
        this.invite = this.buildInvite({
          header: res.status === 401 ? 'Authorization' : 'Proxy-Authorization',
          value,
        });
        this.send(this.invite);
      } catch (err) {
        this.fail({ kind: 'auth', status: res.status, message: (err as Error).message });
      }
      return;
    }
    if (res.status === 401 || res.status === 407) {
      return this.fail({
        kind: 'auth',
        status: res.status,
        message: this.authTried ? 'credentials refused' : 'the trunk asks for credentials and none are configured',
      });
    }
    const ra = res.headers.get('retry-after');
    const retryAfterS = ra && /^\d+/.test(ra) ? Number(/^\d+/.exec(ra)![0]) : null;
    this.fail({ kind: 'response', status: res.status, reason: res.reason, retryAfterS });
  }

  private onAnswer(res: SipResponse): void {
    const tag = tagOf(res.headers.get('to'));
    if (this.answered) {
      // A retransmitted 2xx (our ACK was lost): ACK again. Another tag: a forked answer, refuse it.
      if (tag === this.remoteTag && this.ackForAnswer) this.ua.sendAck(this.ackForAnswer, this.nextHop());
      else this.ackAndBye(res);
      return;
    }
    this.answered = true;
    this.remoteTag = tag;
    this.routeSet = res.headers.all('record-route').reverse();
    const contact = res.headers.get('contact');
    if (contact) this.remoteTarget = parseNameAddr(contact).uri;
    this.state = 'confirmed';
    this.ua.remember(this);
    const sdp = isSdp(res) ? res.body : '';
    this.remoteSdp = sdp || this.remoteSdp;
    if (!this.opts.sdp && sdp) {
      // Late offer: our ACK carries the answer, which the owner gives with `ackWith`.
      this.pendingAck = {
        resolve: (answer) => {
          this.ackForAnswer = this.buildAck(answer);
          this.ua.sendAck(this.ackForAnswer, this.nextHop());
        },
      };
    } else {
      this.ackForAnswer = this.buildAck('');
      this.ua.sendAck(this.ackForAnswer, this.nextHop());
    }
    if (this.cancelRequested) {
      // CANCEL crossed the 200: the call exists now; end it.
      if (this.pendingAck) this.ackWith(this.opts.sdp);
      this.bye();
      this.failedOnce = true;
      this.handler.failed({
        kind: 'response',
        status: 487,
        reason: 'answered as the CANCEL crossed; hung up',
        retryAfterS: null,
      });
      return;
    }
    this.handler.answered(sdp);
  }

  /** Late offer (3PCC): ACK the 200 with our answer to the offer it carried. */
  ackWith(sdp: string): void {
    const p = this.pendingAck;
    this.pendingAck = null;
    p?.resolve(sdp);
  }

  private buildAck(sdp: string): SipRequest {
    const h = this.dialogHeaders('ACK', this.cseqOfInvite());
    if (sdp) h.append('Content-Type', 'application/sdp');
    return { kind: 'request', method: 'ACK', uri: this.remoteTarget, headers: h, body: sdp };
  }

  private cseqOfInvite(): number {
    return parseCSeq(this.invite.headers.get('cseq')!).seq;
  }

  private ackAndBye(res: SipResponse): void {
    const tag = tagOf(res.headers.get('to'));
    const contact = res.headers.get('contact');
    const target = contact ? parseNameAddr(contact).uri : this.opts.target;
    const routes = res.headers.all('record-route').reverse();
    const hop = routes.length
      ? this.ua.hopFor(parseNameAddr(routes[0]!).uri, this.opts.nextHop.transport)
      : this.ua.hopFor(target, this.opts.nextHop.transport);
    const mk = (method: string, seq: number): SipRequest => {
      const h = new Headers();
      h.append('Via', this.ua.via(hop.transport));
      for (const r of routes) h.append('Route', r);
      h.append('Max-Forwards', '70');
      h.append('From', this.invite.headers.get('from')!);
      h.append('To', res.headers.get('to')!);
      h.append('Call-ID', this.callId);
      h.append('CSeq', `${seq} ${method}`);
      return { kind: 'request', method, uri: target, headers: h, body: '' };
    };
    this.ua.sendAck(mk('ACK', this.cseqOfInvite()), hop);
    this.ua.sendRequest(mk('BYE', this.cseqOfInvite() + 1), hop, {
      response: () => undefined,
      failed: () => undefined,
    });
    this.ua.log(`ended a stray 2xx (tag ${tag ?? '?'}) on ${this.callId}`);
  }

  /** Gives up ringing (ring timeout, withdrawal). Before any provisional the CANCEL waits for one (§9.1). */
  cancel(): void {
    if (this.state === 'confirmed') return this.bye();
    if (this.state === 'ended' || this.cancelRequested) return;
    this.cancelRequested = true;
    if (this.state === 'early') this.sendCancel();
    else {
      // No provisional yet: if none ever comes, the INVITE's timer B ends it; give the UDP
      // path a fair chance, then stop waiting and report a withdrawal.
      this.ua.scheduler.setTimeout(() => {
        if (this.state === 'calling') {
          this.inviteTx?.terminate();
          this.fail({
            kind: 'response',
            status: 487,
            reason: 'Request Terminated (no provisional)',
            retryAfterS: null,
          });
        }
      }, 64 * this.ua.timers.t1);
    }
  }

  private sendCancel(): void {
    this.cancelSent = true;
    const h = new Headers();
    h.append('Via', this.invite.headers.get('via')!);
    for (const r of this.invite.headers.all('route')) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', this.invite.headers.get('from')!);
    h.append('To', this.invite.headers.get('to')!);
    h.append('Call-ID', this.callId);
    h.append('CSeq', `${this.cseqOfInvite()} CANCEL`);
    const cancel: SipRequest = { kind: 'request', method: 'CANCEL', uri: this.invite.uri, headers: h, body: '' };
    this.ua.sendRequest(cancel, this.opts.nextHop, {
      response: () => undefined,
      failed: (f) => {
        // No answer to the CANCEL: the INVITE's own timeout still ends the attempt.
        this.ua.log(`CANCEL on ${this.callId} got no response (${f.kind})`);
      },
    });
  }

  /** Hangs up an answered call. The owner hears `ended('local')` when the BYE is answered or times out. */
  bye(): void {
    if (this.state !== 'confirmed') return;
    this.state = 'ended';
    const req = this.inDialog('BYE', '');
    const done = () => {
      this.ua.forget(this);
      if (!this.cancelRequested) this.handler.ended('local');
    };
    this.ua.sendRequest(req, this.nextHop(), { response: (r) => r.status >= 200 && done(), failed: () => done() });
  }

  /** Sends a new offer in the dialog (hold, media change); resolves with the far end's answer. */
  reinvite(sdp: string): Promise<string> {
    if (this.state !== 'confirmed') return Promise.reject(new Error('call is not up'));
    if (this.reinviteBusy) return Promise.reject(new Error('a re-INVITE is already in progress'));
    this.reinviteBusy = true;
    const req = this.inDialog('INVITE', sdp);
    req.headers.append('Contact', this.ua.contact(this.opts.nextHop.transport));
    const seq = this.cseq;
    return new Promise<string>((resolve, reject) => {
      this.ua.sendRequest(req, this.nextHop(), {
        response: (res) => {
          if (res.status < 200) return;
          this.reinviteBusy = false;
          if (res.status < 300) {
            const ack = this.dialogHeaders('ACK', seq);
            this.ua.sendAck(
              { kind: 'request', method: 'ACK', uri: this.remoteTarget, headers: ack, body: '' },
              this.nextHop(),
            );
            if (isSdp(res)) this.remoteSdp = res.body;
            resolve(res.body);
          } else reject(new Error(`re-INVITE refused: ${res.status} ${res.reason}`));
        },
        failed: (f) => {
          this.reinviteBusy = false;
          reject(new Error(`re-INVITE failed: ${f.kind}`));
          // §14.1: a re-INVITE that times out ends the dialog.
          if (f.kind === 'timeout') this.bye();
        },
      });
    });
  }

  /** Sends an in-dialog INFO (e.g. DTMF relay). */
  info(contentType: string, body: string): void {
    if (this.state !== 'confirmed') return;
    const req = this.inDialog('INFO', body);
    req.headers.append('Content-Type', contentType);
    this.ua.sendRequest(req, this.nextHop(), { response: () => undefined, failed: () => undefined });
  }

  private dialogHeaders(method: string, seq: number): Headers {
    const hop = this.nextHop();
    const h = new Headers();
    h.append('Via', this.ua.via(hop.transport));
    for (const r of this.routeSet) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', this.invite.headers.get('from')!);
    h.append('To', `<${this.opts.to}>${this.remoteTag ? `;tag=${this.remoteTag}` : ''}`);
    h.append('Call-ID', this.callId);
    h.append('CSeq', `${seq} ${method}`);
    return h;
  }

  private inDialog(method: string, body: string): SipRequest {
    this.cseq++;
    const h = this.dialogHeaders(method, this.cseq);
    h.append('User-Agent', this.ua.userAgent);
    if (body && method === 'INVITE') h.append('Content-Type', 'application/sdp');
    return { kind: 'request', method, uri: this.remoteTarget, headers: h, body };
  }

  /** Loose routing (§12.2.1.1): the first Route if any, else the remote target. */
  private nextHop(): Remote {
    const first = this.routeSet[0];
    return this.ua.hopFor(first ? parseNameAddr(first).uri : this.remoteTarget, this.opts.nextHop.transport);
  }

  /** A request from the far end inside this dialog. */
  onRequest(req: SipRequest, tx: ServerTransaction): void {
    const seq = parseCSeq(req.headers.get('cseq')!).seq;
    if (this.remoteCseq !== null && seq < this.remoteCseq && req.method !== 'ACK') {
      tx.respond(makeResponse(req, 500, { reason: 'CSeq out of order' }));
      return;
    }
    this.remoteCseq = seq;
    switch (req.method) {
      case 'BYE': {
        tx.respond(makeResponse(req, 200));
        if (this.state === 'ended') return;
        this.state = 'ended';
        this.ua.forget(this);
        this.handler.ended('remote');
        return;
      }
      case 'INVITE':
      case 'UPDATE': {
        const answer = isSdp(req) && this.handler.reoffer ? this.handler.reoffer(req.body) : null;
        if (req.body && answer === null) {
          tx.respond(makeResponse(req, 488));
          return;
        }
        const res = makeResponse(req, 200);
        res.headers.append('Contact', this.ua.contact(this.opts.nextHop.transport));
        if (answer) {
          res.headers.append('Content-Type', 'application/sdp');
          res.body = answer;
        }
        if (req.method === 'INVITE') this.ua.respond2xx(req, res, tx);
        else tx.respond(res);
        return;
      }
      case 'INFO': {
        tx.respond(makeResponse(req, 200));
        this.handler.info?.(req.headers.get('content-type') ?? '', req.body);
        return;
      }
      case 'OPTIONS':
      case 'NOTIFY':
        tx.respond(makeResponse(req, 200));
        return;
      default:
        tx.respond(makeResponse(req, 405));
    }
  }
}

function isSdp(m: SipMessage): boolean {
  return m.body.length > 0 && (m.headers.get('content-type') ?? '').toLowerCase().startsWith('application/sdp');
}

export interface UserAgentOptions {
  transport: SipTransport;
  scheduler: Scheduler;
  timers?: SipTimers;
  /** User part of our Contact. */
  user?: string;
  userAgent?: string;
  log?: (m: string) => void;
}

/**
 * The SIP core of the platform: a user agent that places calls (UAC, with dialogs) and
 * answers what a far end may send inside them. It takes no new calls: an out-of-dialog INVITE
 * is refused with 403, OPTIONS answered 200 (keep-alive probes from trunks).
 */
export class SipUserAgent {
  readonly scheduler: Scheduler;
  readonly timers: SipTimers;
  readonly userAgent: string;
  private readonly transport: SipTransport;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly calls = new Map<string, OutgoingCall>();
  /** 2xx responses to re-INVITEs we answered, retransmitted until their ACK (§13.3.1.4). */
  private readonly unacked = new Map<string, { stop: () => void }>();
  private readonly unsubscribe: () => void;
  private readonly logFn: (m: string) => void;

  constructor(private readonly opts: UserAgentOptions) {
    this.transport = opts.transport;
    this.scheduler = opts.scheduler;
    this.timers = opts.timers ?? defaultTimers;
    this.userAgent = opts.userAgent ?? 'Outdial';
    this.logFn = opts.log ?? (() => undefined);
    this.unsubscribe = this.transport.onMessage((msg, remote) => this.receive(msg, remote));
  }

  log(m: string): void {
    this.logFn(`sip: ${m}`);
  }

  get activeDialogs(): number {
    return this.calls.size;
  }

  /** Places a call; its handler hears what happens. */
  invite(opts: InviteOptions, handler: CallHandler): OutgoingCall {
    const call = new OutgoingCall(this, opts, handler);
    this.calls.set(`${call.callId};${call.localTag}`, call);
    call.start();
    return call;
  }

  remember(call: OutgoingCall): void {
    this.calls.set(`${call.callId};${call.localTag}`, call);
  }

  forget(call: OutgoingCall): void {
    this.calls.delete(`${call.callId};${call.localTag}`);
  }

  via(transport: TransportKind): string {
    return formatVia({
      transport: transport.toUpperCase(),
      host: this.transport.host,
      port: this.transport.port,
      params: { branch: `${BRANCH}${token(10)}`, rport: null },
    });
  }

  contact(transport: TransportKind): string {
    const t = transport === 'tcp' ? ';transport=tcp' : '';
    return `<sip:${this.opts.user ?? 'outdial'}@${this.transport.host}:${this.transport.port}${t}>`;
  }

  /** Where a request for `uri` goes: its host and port (5060 by default) and transport parameter. */
  hopFor(uri: string, fallback: TransportKind): Remote {
    const u = parseUri(uri);
    const t = (u.params['transport'] ?? fallback).toLowerCase();
    return { transport: t === 'tcp' ? 'tcp' : 'udp', host: u.host, port: u.port ?? 5060 };
  }

  sendRequest(
    req: SipRequest,
    remote: Remote,
    user: { response: (r: SipResponse) => void; failed: (f: TxFailure) => void },
  ): ClientTransaction {
    const tx = new ClientTransaction(req, remote, {
      transport: this.transport,
      scheduler: this.scheduler,
      timers: this.timers,
      user,
      onTerminated: (t) => {
        if (this.clients.get(txKey(t.branch, t.method)) === t) this.clients.delete(txKey(t.branch, t.method));
      },
    });
    this.clients.set(txKey(tx.branch, tx.method), tx);
    tx.start();
    return tx;
  }

  /** ACK for a 2xx: no transaction, sent as is (and again for each retransmitted 2xx). */
  sendAck(ack: SipRequest, remote: Remote): void {
    this.transport
      .send(ack, remote)
      .catch((err: unknown) => this.log(`ACK to ${remoteKey(remote)} failed: ${String(err)}`));
  }

  /** A 2xx to a received INVITE, retransmitted at T1…T2 until its ACK, for 64·T1 (§13.3.1.4). */
  respond2xx(req: SipRequest, res: SipResponse, tx: ServerTransaction): void {
    tx.respond(res);
    if (tx.remote.transport !== 'udp') return;
    const key = `${req.headers.get('call-id')};${parseCSeq(req.headers.get('cseq')!).seq}`;
    let interval = this.timers.t1;
    const started = this.scheduler.now();
    let timer: unknown;
    const stop = () => {
      this.scheduler.clearTimeout(timer);
      this.unacked.delete(key);
    };
    const again = () => {
      if (this.scheduler.now() - started >= 64 * this.timers.t1) {
        this.log(`no ACK for our 2xx on ${key}`);
        return stop();
      }
      tx.retransmitted();
      interval = Math.min(interval * 2, this.timers.t2);
      timer = this.scheduler.setTimeout(again, interval);
    };
    timer = this.scheduler.setTimeout(again, interval);
    this.unacked.get(key)?.stop();
    this.unacked.set(key, { stop });
  }

  private receive(msg: SipMessage, remote: Remote): void {
    if (msg.kind === 'response') return this.receiveResponse(msg);
    this.receiveRequest(msg, remote);
  }

  private receiveResponse(res: SipResponse): void {
    const via = parseVia(res.headers.get('via')!);
    const branch = via.params['branch'] ?? '';
    const method = parseCSeq(res.headers.get('cseq')!).method;
    const tx = this.clients.get(txKey(branch, method));
    if (tx) return tx.receive(res);
    // A retransmitted 2xx to an INVITE whose transaction is gone: the dialog ACKs it again.
    if (method === 'INVITE' && res.status >= 200 && res.status < 300) {
      const tag = tagOf(res.headers.get('from'));
      const call = this.calls.get(`${res.headers.get('call-id')};${tag}`);
      if (call) return call.receiveInviteResponse(res);
    }
  }

  private receiveRequest(req: SipRequest, remote: Remote): void {
    const branch = parseVia(req.headers.get('via')!).params['branch'] ?? '';
    const method = req.method === 'ACK' ? 'INVITE' : req.method;
    const existing = this.servers.get(txKey(branch, method));
    if (req.method === 'ACK') {
      if (existing) return existing.acked();
      const key = `${req.headers.get('call-id')};${parseCSeq(req.headers.get('cseq')!).seq}`;
      this.unacked.get(key)?.stop();
      return;
    }
    if (existing) return existing.retransmitted();
    const tx = new ServerTransaction(req, remote, {
      transport: this.transport,
      scheduler: this.scheduler,
      timers: this.timers,
      log: (m) => this.log(m),
      onTerminated: (t) => this.servers.delete(txKey(branch, t.request.method)),
    });
    this.servers.set(txKey(branch, method), tx);
    if (req.method === 'CANCEL') {
      // We only get INVITEs inside dialogs and answer them at once: nothing left to cancel.
      tx.respond(makeResponse(req, 481));
      return;
    }
    const toTag = tagOf(req.headers.get('to'));
    if (toTag) {
      const call = this.calls.get(`${req.headers.get('call-id')};${toTag}`);
      if (!call || call.remoteTag !== tagOf(req.headers.get('from'))) {
        tx.respond(makeResponse(req, 481));
        return;
      }
      call.onRequest(req, tx);
      return;
    }
    if (req.method === 'OPTIONS') {
      const res = makeResponse(req, 200, { toTag: token(4) });
      res.headers.append('Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE');
      tx.respond(res);
      return;
    }
    tx.respond(makeResponse(req, req.method === 'INVITE' ? 403 : 405, { toTag: token(4) }));
  }

  /**
   * Ends a dialog this process (or one before it) left behind: a BYE built from its journal
   * entry. Resolves with the final status (or 408 when nothing answered, 503 when it could not be sent).
   */
  byeDialog(d: DialogState): Promise<number> {
    const first = d.routeSet[0];
    const hop = this.hopFor(first ? parseNameAddr(first).uri : d.remoteTarget, d.transport);
    const h = new Headers();
    h.append('Via', this.via(hop.transport));
    for (const r of d.routeSet) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', d.from);
    h.append('To', d.to);
    h.append('Call-ID', d.callId);
    // Well above the last CSeq the journal saw (a re-INVITE may have followed it).
    h.append('CSeq', `${d.cseq + 10} BYE`);
    h.append('Reason', 'SIP;cause=500;text="restarted"');
    h.append('User-Agent', this.userAgent);
    const req: SipRequest = { kind: 'request', method: 'BYE', uri: d.remoteTarget, headers: h, body: '' };
    return new Promise((resolve) => {
      this.sendRequest(req, hop, {
        response: (r) => r.status >= 200 && resolve(r.status),
        failed: (f) => resolve(f.kind === 'timeout' ? 408 : 503),
      });
    });
  }

  close(): void {
    this.unsubscribe();
    for (const t of this.clients.values()) t.terminate();
    for (const t of this.servers.values()) t.terminate();
    for (const u of this.unacked.values()) u.stop();
  }
}

const txKey = (branch: string, method: string) => `${branch};${method}`;
