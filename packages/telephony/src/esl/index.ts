import { connect, type Socket } from 'node:net';
import type { EndCause, EndReason, OriginateRequest, Scheduler, Telephony, TelephonyEvent } from '@outdial/engine';

/**
 * The Telephony port over FreeSWITCH's event socket (ESL, "inbound" mode: we connect to
 * FreeSWITCH's mod_event_socket, default port 8021). FreeSWITCH does SIP, media, recording and
 * prompts; this adapter originates calls (`bgapi originate … &park()`), bridges agents
 * (`uuid_bridge`), plays messages (`uuid_broadcast`), hangs up (`uuid_kill`) and turns channel
 * events into the dialer's events.
 *
 * FreeSWITCH does not run on this machine (it is not in this Debian release): the adapter is
 * tested against the protocol's documented messages (esl.test.ts), not a live server.
 */

export interface EslConfig {
  host: string;
  port: number;
  password: string;
  /** Dial string for a customer's number: `sofia/gateway/carrier/{number}` (`{trunk}` is the campaign's trunk). */
  customerDialString: string;
  /** Dial string for an agent: `user/{agent}` or `sofia/internal/{agent}@pbx` ({agent} is the agent id). */
  agentDialString: string;
  /** Files FreeSWITCH can play: the abandon message and IVR prompts by name. */
  prompts: { abandon: string } & Record<string, string>;
  log?: (m: string) => void;
}

/** One ESL message: its outer headers and body (events have their own headers inside the body). */
export interface EslMessage {
  headers: Record<string, string>;
  body: string;
}

/** Splits a `Key: value` block; event-plain values are URL-encoded. */
export function parseHeaders(block: string, decode: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const v = line.slice(i + 1).trim();
    out[line.slice(0, i).trim()] = decode ? safeDecode(v) : v;
  }
  return out;
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Reads ESL messages from a byte stream: headers up to a blank line, then Content-Length bytes. */
export class EslParser {
  private buf = Buffer.alloc(0);
  constructor(private readonly onMessage: (m: EslMessage) => void) {}

  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const end = this.buf.indexOf('\n\n');
      if (end < 0) return;
      const headers = parseHeaders(this.buf.subarray(0, end).toString('utf8'), false);
      const len = Number(headers['Content-Length'] ?? 0);
      if (this.buf.length < end + 2 + len) return;
      const body = this.buf.subarray(end + 2, end + 2 + len).toString('utf8');
      this.buf = this.buf.subarray(end + 2 + len);
      this.onMessage({ headers, body });
    }
  }
}

/** An event-plain body: its headers (decoded) and any body of its own. */
export function parseEvent(body: string): { headers: Record<string, string>; body: string } {
  const end = body.indexOf('\n\n');
  const head = end < 0 ? body : body.slice(0, end);
  return { headers: parseHeaders(head, true), body: end < 0 ? '' : body.slice(end + 2) };
}

/** FreeSWITCH hangup causes (Q.850 names) → the dialer's outcome. */
export function causeOutcome(
  cause: string,
  sipStatus: number | null,
): { cause: EndCause; sip: number; reason: EndReason | undefined } {
  switch (cause) {
    case 'USER_BUSY':
      return { cause: 'busy', sip: sipStatus ?? 486, reason: 'busy' };
    case 'CALL_REJECTED':
      return { cause: 'busy', sip: sipStatus ?? 603, reason: 'declined' };
    case 'NO_ANSWER':
    case 'NO_USER_RESPONSE':
    case 'ALLOTTED_TIMEOUT':
      return { cause: 'no_answer', sip: sipStatus ?? 480, reason: 'ring_timeout' };
    case 'ORIGINATOR_CANCEL':
      return { cause: 'cancelled', sip: 487, reason: undefined };
    case 'UNALLOCATED_NUMBER':
    case 'NO_ROUTE_DESTINATION':
    case 'INVALID_NUMBER_FORMAT':
      return { cause: 'failed', sip: sipStatus ?? 404, reason: 'not_found' };
    case 'NORMAL_TEMPORARY_FAILURE':
    case 'NETWORK_OUT_OF_ORDER':
    case 'SWITCH_CONGESTION':
    case 'NORMAL_CIRCUIT_CONGESTION':
      return { cause: 'failed', sip: sipStatus ?? 503, reason: 'congestion' };
    case 'RECOVERY_ON_TIMER_EXPIRE':
      return { cause: 'failed', sip: 408, reason: 'timeout' };
    default:
      return { cause: 'failed', sip: sipStatus ?? 500, reason: 'rejected' };
  }
}

type Phase = 'placing' | 'ringing' | 'answered' | 'connected' | 'releasing' | 'ended';

interface EslCall {
  id: string;
  phase: Phase;
  agentUuid: string | null;
  agentId: string | null;
  ringTimer: unknown;
  release: EndCause | null;
  cancelled: 'no_answer' | 'cancelled' | null;
}

export class EslCarrier implements Telephony {
  private sock: Socket | null = null;
  private readonly calls = new Map<string, EslCall>();
  /** Agent leg uuid → customer call id. */
  private readonly agentLegs = new Map<string, string>();
  private readonly listeners = new Set<(e: TelephonyEvent) => void>();
  private readonly replies: ((m: EslMessage) => void)[] = [];
  private seq = 0;

  constructor(
    private readonly cfg: EslConfig,
    private readonly scheduler: Scheduler,
  ) {}

  private log(m: string): void {
    this.cfg.log?.(`esl: ${m}`);
  }

  /** Connects, authenticates and subscribes to the channel events it needs. */
  async start(): Promise<void> {
    const sock = connect({ host: this.cfg.host, port: this.cfg.port });
    this.sock = sock;
    const authRequested = new Promise<void>((resolve, reject) => {
      const parser = new EslParser((m) => {
        const type = m.headers['Content-Type'];
        if (type === 'auth/request') return resolve();
        if (type === 'command/reply' || type === 'api/response') return this.replies.shift()?.(m);
        if (type === 'text/event-plain') return this.onEvent(parseEvent(m.body).headers);
        if (type === 'text/disconnect-notice') this.log('FreeSWITCH is closing the connection');
      });
      sock.on('data', (d: Buffer) => parser.push(d));
      sock.once('error', reject);
    });
    sock.on('error', (err) => this.log(`socket: ${err.message}`));
    await authRequested;
    const auth = await this.send(`auth ${this.cfg.password}`);
    if (!auth.headers['Reply-Text']?.startsWith('+OK'))
      throw new Error(`ESL auth refused: ${auth.headers['Reply-Text']}`);
    const ev = await this.send(
      'event plain CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE DTMF BACKGROUND_JOB',
    );
    if (!ev.headers['Reply-Text']?.startsWith('+OK')) throw new Error(`ESL event subscription refused`);
  }

  /** Sends a command; resolves with its command/reply (or api/response). */
  private send(cmd: string): Promise<EslMessage> {
    if (!this.sock) return Promise.reject(new Error('not connected'));
    return new Promise((resolve) => {
      this.replies.push(resolve);
      this.sock!.write(`${cmd}\n\n`);
    });
  }

  private api(cmd: string): void {
    void this.send(`api ${cmd}`).then((r) => {
      if (r.body.startsWith('-ERR')) this.log(`${cmd.split(' ')[0]}: ${r.body.trim()}`);
    });
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  subscribe(listener: (e: TelephonyEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: TelephonyEvent): void {
    for (const l of this.listeners) l(e);
  }

  originate(req: OriginateRequest): void {
    if (this.calls.has(req.callId)) throw new Error(`call ${req.callId} is already in progress`);
    const call: EslCall = {
      id: req.callId,
      phase: 'placing',
      agentUuid: null,
      agentId: null,
      ringTimer: undefined,
      release: null,
      cancelled: null,
    };
    this.calls.set(req.callId, call);
    const dial = this.cfg.customerDialString
      .replace('{number}', req.to.replace(/[^+0-9]/g, ''))
      .replace('{trunk}', req.trunk ?? 'default');
    const vars = [
      `origination_uuid=${req.callId}`,
      `origination_caller_id_number=${req.callerId.replace(/[^+0-9]/g, '')}`,
      `originate_timeout=${Math.ceil(req.ringTimeoutMs / 1000)}`,
      'ignore_early_media=false',
      `outdial_attempt=${req.callId}`,
    ];
    call.ringTimer = this.scheduler.setTimeout(() => {
      if (call.phase !== 'placing' && call.phase !== 'ringing') return;
      call.cancelled = 'no_answer';
      this.api(`uuid_kill ${call.id} NO_ANSWER`);
    }, req.ringTimeoutMs + 1000);
    void this.send(`bgapi originate {${vars.join(',')}}${dial} &park()\nJob-UUID: job-${++this.seq}`);
  }

  private onEvent(h: Record<string, string>): void {
    const name = h['Event-Name'];
    const uuid = h['Unique-ID'] ?? '';
    const at = this.scheduler.now();
    if (name === 'BACKGROUND_JOB') {
      // "-ERR USER_BUSY" for an originate that failed before a channel existed.
      return;
    }
    const agentOf = this.agentLegs.get(uuid);
    if (agentOf) return this.onAgentEvent(agentOf, name ?? '', h);
    const call = this.calls.get(uuid);
    if (!call) return;
    switch (name) {
      case 'CHANNEL_PROGRESS':
      case 'CHANNEL_PROGRESS_MEDIA':
        if (call.phase === 'placing') {
          call.phase = 'ringing';
          this.emit({ type: 'ringing', callId: call.id, at });
        }
        return;
      case 'CHANNEL_ANSWER':
        if (call.phase !== 'placing' && call.phase !== 'ringing') return;
        this.scheduler.clearTimeout(call.ringTimer);
        if (call.phase === 'placing') this.emit({ type: 'ringing', callId: call.id, at });
        call.phase = 'answered';
        this.emit({ type: 'answered', callId: call.id, at, amd: 'unknown' });
        return;
      case 'DTMF':
        if (call.phase === 'answered' || call.phase === 'releasing')
          this.emit({ type: 'dtmf', callId: call.id, at, digit: h['DTMF-Digit'] ?? '' });
        return;
      case 'CHANNEL_HANGUP_COMPLETE': {
        const sip = Number(
          h['variable_sip_term_status'] ?? h['variable_proto_specific_hangup_cause']?.replace('sip:', ''),
        );
        const answered = call.phase === 'answered' || call.phase === 'connected' || call.phase === 'releasing';
        if (answered) {
          const cause = call.release ?? (h['Hangup-Disposition'] === 'recv_bye' ? 'customer_hangup' : 'agent_hangup');
          return this.end(call, cause, 200);
        }
        const o = causeOutcome(h['Hangup-Cause'] ?? '', Number.isFinite(sip) ? sip : null);
        if (call.cancelled === 'cancelled') return this.end(call, 'cancelled', 487);
        if (call.cancelled === 'no_answer') return this.end(call, 'no_answer', 487, 'ring_timeout');
        return this.end(call, o.cause, o.sip, o.reason);
      }
      default:
        return;
    }
  }

  private onAgentEvent(callId: string, name: string, h: Record<string, string>): void {
    const call = this.calls.get(callId);
    if (!call || !call.agentUuid) return;
    if (name === 'CHANNEL_ANSWER' && call.phase === 'connected') {
      this.api(`uuid_bridge ${call.id} ${call.agentUuid}`);
      this.emit({ type: 'connected', callId, at: this.scheduler.now(), agentId: call.agentId! });
    }
    if (name === 'CHANNEL_HANGUP_COMPLETE') {
      this.agentLegs.delete(call.agentUuid);
      if (call.phase === 'connected' && h['Hangup-Cause'] !== 'NORMAL_CLEARING' && !h['variable_bridge_uuid']) {
        // The agent's phone never answered: the customer hears the abandon message.
        call.phase = 'answered';
        return this.abandon(callId);
      }
      if (call.phase === 'connected') {
        call.release = 'agent_hangup';
        this.api(`uuid_kill ${call.id} NORMAL_CLEARING`);
      }
    }
  }

  connect(callId: string, agentId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') throw new Error(`call ${callId} is not waiting for an agent`);
    call.phase = 'connected';
    call.agentId = agentId;
    call.agentUuid = `${callId}-agent`;
    this.agentLegs.set(call.agentUuid, callId);
    const dial = this.cfg.agentDialString.replace('{agent}', agentId);
    void this.send(
      `bgapi originate {origination_uuid=${call.agentUuid},outdial_attempt=${callId}}${dial} &park()\nJob-UUID: job-${++this.seq}`,
    );
  }

  abandon(callId: string): void {
    const call = this.calls.get(callId);
    if (!call || call.phase !== 'answered') return;
    call.phase = 'releasing';
    call.release = 'abandoned';
    // Play the message, then hang up, inside FreeSWITCH (no timer of ours to lose).
    this.api(`uuid_transfer ${callId} 'playback:${this.cfg.prompts.abandon},hangup:NORMAL_CLEARING' inline`);
  }

  playPrompt(callId: string, prompt: string): void {
    const call = this.calls.get(callId);
    const file = this.cfg.prompts[prompt];
    if (!call || call.phase !== 'answered') throw new Error(`call ${callId} is not waiting for an agent`);
    if (!file) throw new Error(`no prompt named "${prompt}" is configured`);
    this.api(`uuid_broadcast ${callId} ${file} aleg`);
  }

  hold(callId: string, on: boolean): void {
    if (this.calls.get(callId)?.phase !== 'connected') throw new Error(`call ${callId} is not connected to an agent`);
    this.api(on ? `uuid_hold ${callId}` : `uuid_hold off ${callId}`);
  }

  hangup(callId: string, cause: Extract<EndCause, 'agent_hangup' | 'machine_released' | 'cancelled'>): void {
    const call = this.calls.get(callId);
    if (!call || call.phase === 'ended') return;
    if (call.phase === 'placing' || call.phase === 'ringing') call.cancelled = 'cancelled';
    else call.release = cause;
    this.api(`uuid_kill ${callId} ${cause === 'cancelled' ? 'ORIGINATOR_CANCEL' : 'NORMAL_CLEARING'}`);
    if (call.agentUuid) this.api(`uuid_kill ${call.agentUuid} NORMAL_CLEARING`);
  }

  private end(call: EslCall, cause: EndCause, sipCode: number, reason?: EndReason): void {
    if (call.phase === 'ended') return;
    call.phase = 'ended';
    this.scheduler.clearTimeout(call.ringTimer);
    this.calls.delete(call.id);
    if (call.agentUuid) this.agentLegs.delete(call.agentUuid);
    this.emit({
      type: 'ended',
      callId: call.id,
      at: this.scheduler.now(),
      cause,
      sipCode,
      ...(reason ? { reason } : {}),
    });
  }

  stop(): void {
    this.sock?.end('exit\n\n');
    this.sock = null;
  }
}
