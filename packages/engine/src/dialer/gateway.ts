import type { AgentStateView, ServerMessage, SessionMessage, TransferTarget } from '@outdial/contracts';
import type { Repositories } from '../ports/index.ts';
import { can } from '@outdial/domain/access';
import type { Principal } from '../auth.ts';
import { present } from '../contacts.ts';
import type { PersonalData } from '../pii.ts';
import { toPublicEvent } from './public-events.ts';
import type { DispositionService } from '../dispositions.ts';
import type { QuestionnaireService } from '../questionnaires/service.ts';
import type { ContactsApiService } from '../contacts-api.ts';
import { REFUSAL_WORDS } from '@outdial/domain/compliance';
import { normalizePhone } from '@outdial/domain/phone';
import { AppError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Scheduler } from '../telephony.ts';
import { AgentEventRefused } from './desk.ts';
import type { Dialer } from './dialer.ts';
import type { DialerEvent } from './events.ts';
import { PreviewGone } from './preview.ts';

/** What a workstation or a supervisor's screen sends (validated at the transport edge; `auth` is the transport's). */
export type ClientMessage = SessionMessage;
export type { AgentStateView, ServerMessage };

/** The transport's side of one connection (a WebSocket in the server, an array in tests). */
export interface Connection {
  send(m: ServerMessage): void;
  close(reason: string): void;
}

export interface GatewayOptions {
  /** A client silent for longer than this is taken for gone: it stops receiving calls. */
  heartbeatTimeoutMs?: number;
  /** After a lost connection, how long a paused or wrapping agent stays logged in for a reconnect. */
  reconnectGraceMs?: number;
  /** How often subscribers get a campaign's live figures. */
  statsEveryMs?: number;
  /** How often open connections' sessions are checked against the store (revoked or expired elsewhere). */
  sessionCheckMs?: number;
}

interface Session {
  principal: Principal;
  conn: Connection;
  lastSeen: number;
  /** Campaigns this connection follows (events and live figures). */
  campaigns: Set<string>;
  closed: boolean;
  /** Messages are handled one after another, in the order they came (login before ready). */
  chain: Promise<void>;
}

/** A connection's handle for the transport: feed it messages and pongs, tell it when it closed. */
export interface SessionHandle {
  receive(m: ClientMessage): Promise<void>;
  /** Any sign of life below the message level (WebSocket pong). */
  seen(): void;
  closed(): void;
}

const sessionReply = (m: ClientMessage) => m.id ?? null;

/**
 * Agent sessions over a live connection: login, ready, pause with a reason, logout,
 * heartbeat; the screen pop of a routed call; hang-up and disposition (落单) from the
 * workstation; and, for supervisors, a campaign's events and live figures. An agent whose
 * client goes silent or disconnects is marked lost at once (no more calls; a live call goes
 * on), and is logged out after a grace period unless the client comes back.
 */
export class AgentGateway {
  private readonly sessions = new Set<Session>();
  /** The connection that owns each logged-in agent (one per user: a newer one replaces it). */
  private readonly owners = new Map<string, Session>();
  private readonly graceTimers = new Map<string, unknown>();
  /** Attempts whose end is persisted, awaited by a disposition that arrived first. */
  private readonly endWaiters = new Map<string, (() => void)[]>();
  /** Calls on hold (attempt → since, epoch ms). */
  private readonly held = new Map<string, number>();
  /** The agent each connected call is with (a new agent for the same attempt is a transfer). */
  private readonly callAgents = new Map<string, string>();
  /** Transfers asked for through this gateway, until the second agent takes the call. */
  private readonly transfers = new Map<string, { to: TransferTarget; mode: 'blind' | 'attended' }>();
  private readonly heartbeatTimeoutMs: number;
  private readonly graceMs: number;
  private readonly statsEveryMs: number;
  private unsubscribe: (() => void) | undefined;
  private sweepTimer: unknown;
  private statsTimer: unknown;
  private readonly log: Logger;
  private nextSessionCheck = 0;
  private readonly sessionCheckMs: number;

  constructor(
    private readonly deps: {
      dialer: Dialer;
      repos: Repositories;
      dispositions: DispositionService;
      questionnaires: QuestionnaireService;
      /** Typed numbers not in the project yet are added through it (optional: tests without it). */
      contactsApi?: ContactsApiService | undefined;
      pii: PersonalData;
      scheduler: Scheduler;
      logger?: Logger;
    },
    private readonly opts: GatewayOptions,
  ) {
    this.log = (deps.logger ?? silentLogger).child({ component: 'gateway' });
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 15_000;
    this.graceMs = opts.reconnectGraceMs ?? 60_000;
    this.statsEveryMs = opts.statsEveryMs ?? 2000;
    this.sessionCheckMs = opts.sessionCheckMs ?? 15_000;
  }

  start(): void {
    this.unsubscribe = this.deps.dialer.bus.subscribe((e) => this.onEvent(e));
    const sweep = () => {
      this.sweep();
      this.sweepTimer = this.deps.scheduler.setTimeout(sweep, 1000);
    };
    const stats = () => {
      this.pushStats();
      this.statsTimer = this.deps.scheduler.setTimeout(stats, this.statsEveryMs);
    };
    this.sweepTimer = this.deps.scheduler.setTimeout(sweep, 1000);
    this.statsTimer = this.deps.scheduler.setTimeout(stats, this.statsEveryMs);
  }

  stop(): void {
    this.unsubscribe?.();
    this.deps.scheduler.clearTimeout(this.sweepTimer);
    this.deps.scheduler.clearTimeout(this.statsTimer);
    for (const t of this.graceTimers.values()) this.deps.scheduler.clearTimeout(t);
    this.graceTimers.clear();
    for (const s of [...this.sessions]) s.conn.close('server stopping');
  }

  get connections(): number {
    return this.sessions.size;
  }

  /** An authenticated connection. */
  open(principal: Principal, conn: Connection): SessionHandle {
    const s: Session = {
      principal,
      conn,
      lastSeen: this.now(),
      campaigns: new Set(),
      closed: false,
      chain: Promise.resolve(),
    };
    this.sessions.add(s);
    conn.send({
      type: 'hello',
      userId: principal.userId,
      username: principal.username,
      role: principal.role,
      canTakeCalls: can(principal.role, 'calls:handle'),
      callControls: this.deps.dialer.callControls,
      heartbeatMs: Math.floor(this.heartbeatTimeoutMs / 3),
    });
    return {
      receive: (m) => {
        s.lastSeen = this.now();
        s.chain = s.chain.then(() => this.receive(s, m));
        return s.chain;
      },
      seen: () => {
        s.lastSeen = this.now();
      },
      closed: () => this.closed(s),
    };
  }

  private now(): number {
    return this.deps.scheduler.now();
  }

  private async receive(s: Session, m: ClientMessage): Promise<void> {
    if (s.closed) return;
    s.lastSeen = this.now();
    try {
      const result = await this.handle(s, m);
      if (m.type !== 'heartbeat' || m.id !== undefined)
        s.conn.send({ type: 'ack', id: sessionReply(m), request: m.type, ...(result === undefined ? {} : { result }) });
    } catch (err) {
      if (!(err instanceof AppError) && !(err instanceof AgentEventRefused))
        this.log.error({ err, userId: s.principal.userId, request: m.type }, 'an agent request failed');
      s.conn.send(errorMessage(sessionReply(m), err));
    }
  }

  private ownAgent(s: Session): string {
    const id = s.principal.userId;
    if (this.owners.get(id) !== s)
      throw new AppError('invalid_state', 'log in to the dialer first (send {"type":"login"})', {
        reason: 'not_logged_in',
      });
    return id;
  }

  private async handle(s: Session, m: ClientMessage): Promise<unknown> {
    const { dialer } = this.deps;
    const at = this.now();
    switch (m.type) {
      case 'login':
        return this.login(s);
      case 'ready':
        dialer.agent(this.ownAgent(s), { type: 'ready', at });
        return this.stateOf(s.principal.userId);
      case 'pause':
        dialer.agent(this.ownAgent(s), { type: 'pause', at, reason: m.reason });
        return this.stateOf(s.principal.userId);
      case 'logout': {
        const id = this.ownAgent(s);
        dialer.agent(id, { type: 'logout', at });
        this.owners.delete(id);
        return { status: 'logged_out' };
      }
      case 'heartbeat':
        if (this.owners.get(s.principal.userId) === s) dialer.agent(s.principal.userId, { type: 'heartbeat', at });
        return undefined;
      case 'hangup':
        return { attemptId: dialer.agentHangup(this.ownAgent(s)) };
      case 'preview_dial':
        return this.previewDecision(s, 'dial', null);
      case 'preview_skip':
        return this.previewDecision(s, 'skip', m.reason);
      case 'disposition':
        return this.dispose(s, m);
      case 'dial':
        return this.dial(s.principal, m);
      case 'answers':
        return this.deps.questionnaires.saveAnswers(s.principal, this.currentCall(s), m.answers, { liveAgent: true });
      case 'notes': {
        const r = await this.deps.questionnaires.transcript(s.principal, this.currentCall(s), m.text, {
          liveAgent: true,
        });
        return { matched: r.matched.length, pushed: r.pushed };
      }
      case 'hold':
        return this.hold(s, m.on);
      case 'transfer':
        return this.transfer(s, m.to, m.mode);
      case 'transfer_targets':
        return { agents: await this.transferTargets(s) };
      case 'subscribe': {
        if (!can(s.principal.role, 'campaigns:read'))
          throw new AppError('forbidden', 'your role does not allow following campaigns');
        const c = await this.deps.repos.campaigns.get(s.principal.orgId, m.campaignId);
        if (!c) throw new AppError('not_found', 'campaign not found');
        s.campaigns.add(c.id);
        this.sendStats(s, c.id);
        return { campaignId: c.id };
      }
      case 'unsubscribe':
        s.campaigns.delete(m.campaignId);
        return { campaignId: m.campaignId };
    }
  }

  private async login(s: Session): Promise<AgentStateView> {
    const p = s.principal;
    if (!can(p.role, 'calls:handle')) throw new AppError('forbidden', 'your role does not take calls');
    const previous = this.owners.get(p.userId);
    if (previous && previous !== s) {
      // The same user logged in elsewhere (another tab, a reconnect the old socket missed).
      this.owners.delete(p.userId);
      previous.conn.send({
        type: 'error',
        id: null,
        code: 'replaced',
        message: 'this agent logged in from another connection',
      });
      previous.closed = true;
      this.sessions.delete(previous);
      previous.conn.close('replaced by a newer login');
    }
    this.deps.scheduler.clearTimeout(this.graceTimers.get(p.userId));
    this.graceTimers.delete(p.userId);
    this.owners.set(p.userId, s);
    const existing = this.deps.dialer.desk.get(p.userId);
    if (!existing) {
      const profile = await this.deps.repos.org.getAgent(p.orgId, p.userId);
      const skills = Object.fromEntries((profile?.skills ?? []).map((k) => [k.code, k.level]));
      if (s.closed) throw new AppError('invalid_state', 'the connection closed during login');
      this.deps.dialer.agent(p.userId, { type: 'login', at: this.now() }, skills, p.orgId);
    }
    // A reconnect finds the agent where they were (paused: connection_lost, or still on a call).
    return this.stateOf(p.userId);
  }

  private async previewDecision(s: Session, decision: 'dial' | 'skip', reason: string | null): Promise<unknown> {
    const id = this.ownAgent(s);
    const r = await this.deps.dialer.previewDecision(id, decision, reason).catch((err: unknown) => {
      if (err instanceof PreviewGone)
        throw new AppError('invalid_state', 'this preview is no longer open (it timed out or was decided)', {
          reason: 'no_preview',
        });
      throw err;
    });
    if (r.refused)
      throw new AppError(
        'invalid_state',
        `the compliance gate refuses this call now (${r.refused}); the contact was put back`,
        { reason: 'refused', code: r.refused },
      );
    return r;
  }

  private stateOf(agentId: string): AgentStateView {
    const a = this.deps.dialer.desk.get(agentId);
    if (!a) return { status: 'logged_out', since: this.now(), callId: null, pauseReason: null };
    return { status: a.state.status, since: a.state.since, callId: a.state.callId, pauseReason: a.state.pauseReason };
  }

  /**
   * Agent-directed dialing (手工发呼/拨号外呼), from the workstation or the API. A contact of the
   * agent's own list (an open task of theirs, a callback they own; managers: any contact), or a
   * typed number (calls:dial_number), found in the project or created there through the import
   * rules (a do-not-call number is refused there). Dialed by a running campaign of the project on
   * this node through the compliance gate; a refusal says why, in words.
   */
  async dial(
    p: Principal,
    target: { contactId?: string | undefined; project?: string | undefined; phone?: string | undefined },
  ): Promise<{ attemptId: string; contactId: string }> {
    const { contactId, projectId } = await resolveDialTarget(this.deps, p, target);
    if (!this.deps.dialer.desk.get(p.userId))
      throw new AppError('invalid_state', 'log in to the dialer first (WebSocket {"type":"login"}), then be ready', {
        reason: 'not_logged_in',
      });
    const r = await this.deps.dialer.manualDial(p.userId, p.orgId, projectId, contactId);
    if (r.attemptId) return { attemptId: r.attemptId, contactId };
    if (r.refused) throw refusal(r.refused);
    const words: Record<string, string> = {
      busy: 'the contact is being dialed right now; try again in a moment',
      not_ready: 'be ready to dial (not paused, not on a call)',
      no_campaign: 'no campaign of this project runs on this node: start one to dial its contacts',
    };
    throw new AppError('invalid_state', words[r.reason ?? 'busy'] ?? 'not dialed', { reason: r.reason });
  }

  /** The call this agent is on or wrapping up (answers and notes are about it). */
  private currentCall(s: Session): string {
    const a = this.deps.dialer.desk.get(this.ownAgent(s));
    if ((a?.state.status === 'talking' || a?.state.status === 'wrap_up') && a.state.callId) return a.state.callId;
    throw new AppError('invalid_state', 'there is no call: answers and notes belong to the call you are on', {
      reason: 'no_call',
    });
  }

  /** The call this agent is talking on (hold and transfer are about it). */
  private talkingOn(s: Session): { agentId: string; attemptId: string } {
    const agentId = this.ownAgent(s);
    const a = this.deps.dialer.desk.get(agentId);
    if (a?.state.status === 'talking' && a.state.callId) return { agentId, attemptId: a.state.callId };
    throw new AppError('invalid_state', 'you are not on a call', { reason: 'no_call' });
  }

  private hold(s: Session, on: boolean): { attemptId: string; on: boolean; at: number } {
    const { attemptId } = this.talkingOn(s);
    if (!this.deps.dialer.callControls.hold)
      throw new AppError('invalid_state', "this node's telephony cannot hold calls", { reason: 'hold_unsupported' });
    try {
      this.deps.dialer.hold(attemptId, on);
    } catch (err) {
      throw new AppError(
        'invalid_state',
        `the telephony refused: ${err instanceof Error ? err.message : String(err)}`,
        {
          reason: 'hold_failed',
        },
      );
    }
    const at = on ? (this.held.get(attemptId) ?? this.now()) : this.now();
    if (on) this.held.set(attemptId, at);
    else this.held.delete(attemptId);
    s.conn.send({ type: 'hold', attemptId, on, at });
    return { attemptId, on, at };
  }

  /**
   * Moves the agent's call to another ready agent of the organisation with the campaign's
   * skills. The second agent is reserved now and gets the screen pop when their phone answers;
   * the first goes to wrap-up then (and gets `transferred`).
   */
  private async transfer(
    s: Session,
    to: string,
    mode: 'blind' | 'attended',
  ): Promise<{ attemptId: string; to: TransferTarget; mode: 'blind' | 'attended' }> {
    const { agentId, attemptId } = this.talkingOn(s);
    const { dialer } = this.deps;
    if (!dialer.callControls.transfer)
      throw new AppError('invalid_state', "this node's telephony cannot transfer calls", {
        reason: 'transfer_unsupported',
      });
    const target = await this.resolveTarget(s.principal, to);
    if (target.userId === agentId)
      throw new AppError('invalid_state', 'the call is already with you', { reason: 'same_agent' });
    const a = dialer.desk.get(target.userId);
    if (a?.state.status !== 'ready')
      throw new AppError('invalid_state', `${target.username} is not ready to take a call`, {
        reason: 'target_not_ready',
      });
    const required = dialer.campaignOf(attemptId)?.settings.requiredSkills ?? {};
    if (!hasSkills(a.skills, required))
      throw new AppError('invalid_state', `${target.username} lacks the campaign's skills`, {
        reason: 'target_lacks_skills',
      });
    // The call may have ended while the target was looked up.
    this.talkingOn(s);
    this.transfers.set(attemptId, { to: target, mode });
    try {
      dialer.transfer(attemptId, target.userId, mode);
    } catch (err) {
      this.transfers.delete(attemptId);
      throw new AppError('invalid_state', `the transfer failed: ${err instanceof Error ? err.message : String(err)}`, {
        reason: 'transfer_failed',
      });
    }
    return { attemptId, to: target, mode };
  }

  /** An agent of the caller's organisation by user id or username. */
  private async resolveTarget(p: Principal, to: string): Promise<TransferTarget> {
    const { repos, dialer } = this.deps;
    const byId = UUID.test(to) ? await repos.users.get(p.orgId, to) : undefined;
    const row = byId ?? (await repos.users.findByUsername(to)).find((u) => u.orgId === p.orgId);
    if (row && !row.disabled) return { userId: row.id, username: row.username, displayName: row.displayName };
    const elsewhere = dialer.desk.get(to);
    if (!row && elsewhere && elsewhere.orgId !== null && elsewhere.orgId !== p.orgId)
      throw new AppError('forbidden', 'that agent belongs to another organisation', { reason: 'other_organisation' });
    throw new AppError('not_found', `no agent "${to}" in your organisation`, { reason: 'target_not_found' });
  }

  /** Ready agents of the caller's organisation with the current call's campaign skills (not the caller). */
  private async transferTargets(s: Session): Promise<TransferTarget[]> {
    const { agentId, attemptId } = this.talkingOn(s);
    const { dialer, repos } = this.deps;
    const orgId = s.principal.orgId;
    const required = dialer.campaignOf(attemptId)?.settings.requiredSkills ?? {};
    const ids = dialer.desk
      .all()
      .filter(
        (a) => a.id !== agentId && a.orgId === orgId && a.state.status === 'ready' && hasSkills(a.skills, required),
      )
      .map((a) => a.id);
    const rows = await Promise.all(ids.map((id) => repos.users.get(orgId, id)));
    return rows
      .filter((u) => u !== undefined && !u.disabled)
      .map((u) => ({ userId: u!.id, username: u!.username, displayName: u!.displayName }))
      .sort((x, y) => x.username.localeCompare(y.username));
  }

  /** Tells the agent who had a call that it went to another agent. */
  private async sendTransferred(fromAgent: string, attemptId: string, toAgent: string): Promise<void> {
    const s = this.owners.get(fromAgent);
    if (!s) return;
    const asked = this.transfers.get(attemptId);
    this.transfers.delete(attemptId);
    let to = asked?.to.userId === toAgent ? asked.to : undefined;
    if (!to) {
      const u = await this.deps.repos.users.get(s.principal.orgId, toAgent);
      to = { userId: toAgent, username: u?.username ?? toAgent, displayName: u?.displayName ?? toAgent };
    }
    s.conn.send({ type: 'transferred', attemptId, to, mode: asked?.mode ?? null });
  }

  private async dispose(s: Session, m: Extract<ClientMessage, { type: 'disposition' }>): Promise<unknown> {
    const id = this.ownAgent(s);
    const a = this.deps.dialer.desk.get(id);
    if (a?.state.status === 'talking')
      throw new AppError('invalid_state', 'hang up first (send {"type":"hangup"}), then record the disposition', {
        reason: 'still_talking',
      });
    if (a?.state.status !== 'wrap_up' || !a.state.callId)
      throw new AppError('invalid_state', 'there is no call to record a disposition for', { reason: 'not_in_wrap_up' });
    const attemptId = a.state.callId;
    let callbackAt: Date | null = null;
    if (m.callbackAt !== undefined) {
      callbackAt = new Date(m.callbackAt);
      if (Number.isNaN(callbackAt.getTime()))
        throw new AppError('validation_failed', 'callbackAt must be an ISO 8601 date-time', { field: 'callbackAt' });
    }
    await this.untilEnded(attemptId);
    const r = await this.deps.dispositions.record(s.principal, attemptId, {
      code: m.code,
      notes: m.notes,
      callbackAt,
      pause: m.pause,
      answers: m.answers,
      order: m.order,
    });
    return {
      attemptId,
      dispositionId: r.disposition.id,
      code: r.disposition.code,
      next: r.next,
      addedToDnc: r.addedToDnc,
      orderId: r.order?.id ?? null,
      escalatedTo: r.escalatedTo,
    };
  }

  /** The call's end is written before CallEnded is published; a fast disposition waits for it. */
  private async untilEnded(attemptId: string): Promise<void> {
    // The waiter is registered before the database is read, so an end published in between is not missed.
    let done: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (done = resolve));
    const list = this.endWaiters.get(attemptId) ?? [];
    list.push(done);
    this.endWaiters.set(attemptId, list);
    // Never wait forever: the service then answers with the state it finds.
    const timer = this.deps.scheduler.setTimeout(done, 5000);
    try {
      const row = await this.deps.repos.attempts.get(attemptId);
      if (row && !row.endedAt) await ended;
    } finally {
      this.deps.scheduler.clearTimeout(timer);
      const rest = (this.endWaiters.get(attemptId) ?? []).filter((w) => w !== done);
      if (rest.length) this.endWaiters.set(attemptId, rest);
      else this.endWaiters.delete(attemptId);
    }
  }

  private onEvent(e: DialerEvent): void {
    switch (e.type) {
      case 'AgentStateChanged': {
        const s = this.owners.get(e.agentId);
        if (s) s.conn.send({ type: 'state', state: this.stateOf(e.agentId) });
        break;
      }
      case 'CallConnected': {
        const before = this.callAgents.get(e.attemptId);
        this.callAgents.set(e.attemptId, e.agentId);
        if (before !== undefined && before !== e.agentId) {
          this.held.delete(e.attemptId);
          this.sendTransferred(before, e.attemptId, e.agentId).catch((err: unknown) =>
            this.log.error({ err, attemptId: e.attemptId }, 'telling an agent their call was transferred failed'),
          );
        }
        const s = this.owners.get(e.agentId);
        if (s)
          this.screenPop(s, e).catch((err: unknown) =>
            this.log.error(
              { err, agentId: e.agentId, attemptId: e.attemptId, campaignId: e.campaignId, contactId: e.contactId },
              'the screen pop of a connected call failed: the agent talks without the customer on screen',
            ),
          );
        break;
      }
      case 'PreviewOffered': {
        const s = this.owners.get(e.agentId);
        if (s)
          this.sendPreview(s, e).catch((err: unknown) =>
            this.log.error(
              { err, agentId: e.agentId, previewId: e.previewId, campaignId: e.campaignId, contactId: e.contactId },
              'showing a preview offer failed: it times out unseen',
            ),
          );
        break;
      }
      case 'KnowledgeMatched': {
        const s = this.owners.get(e.agentId);
        if (s) s.conn.send({ type: 'knowledge', attemptId: e.attemptId, prompts: e.prompts });
        return;
      }
      case 'SessionsEnded':
        this.endSessions(e.userId, e.sessionId, e.reason.replace('_', ' '));
        return;
      case 'CallEnded': {
        this.held.delete(e.attemptId);
        this.callAgents.delete(e.attemptId);
        this.transfers.delete(e.attemptId);
        const waiters = this.endWaiters.get(e.attemptId);
        if (waiters) {
          this.endWaiters.delete(e.attemptId);
          for (const w of waiters) w();
        }
        const s = e.agentId ? this.owners.get(e.agentId) : undefined;
        if (s) s.conn.send({ type: 'call_ended', attemptId: e.attemptId, outcome: e.outcome });
        break;
      }
      default:
        break;
    }
    this.forward(e);
  }

  /** Supervisors following a campaign get its events; agent states go to followers of the agent's organisation. */
  private forward(e: DialerEvent): void {
    const event = toPublicEvent(e);
    if (!event) return;
    let campaignId: string | null = null;
    let orgId: string | null = null;
    if (e.type === 'AgentStateChanged') orgId = this.deps.dialer.desk.get(e.agentId)?.orgId ?? null;
    else if ('campaignId' in e) campaignId = e.campaignId;
    for (const s of this.sessions) {
      if (s.campaigns.size === 0) continue;
      if (campaignId ? s.campaigns.has(campaignId) : orgId === s.principal.orgId) s.conn.send({ type: 'event', event });
    }
  }

  /** The customer as this agent may see them (numbers masked by role; an unmasked view is audited). */
  private async contactFor(s: Session, contactId: string, via: 'screen_pop' | 'preview') {
    const p = s.principal;
    const row = await this.deps.repos.contacts.get(p.orgId, contactId);
    if (!row) return { row: undefined, view: null };
    const unmasked = this.deps.pii.unmasked(p);
    if (unmasked)
      await this.deps.pii.shown(p, {
        action: 'contacts.unmasked_view',
        subjectType: 'contact',
        subjectId: row.id,
        details: { count: 1, via },
      });
    return { row, view: present(row, unmasked, this.deps.pii) };
  }

  private async screenPop(s: Session, e: Extract<DialerEvent, { type: 'CallConnected' }>): Promise<void> {
    const { row, view } = await this.contactFor(s, e.contactId, 'screen_pop');
    const dispositions = row ? await this.deps.repos.projects.dispositions(row.projectId) : [];
    // The script is part of the pop; a failure to build it is logged and the call still pops.
    const script = await this.deps.questionnaires
      .script(s.principal, e.attemptId, { liveAgent: true })
      .catch((err: unknown) => {
        this.log.error({ err, attemptId: e.attemptId }, "building the call's script for the screen pop failed");
        return null;
      });
    s.conn.send({
      type: 'call',
      attemptId: e.attemptId,
      campaignId: e.campaignId,
      waitMs: e.waitMs,
      contact: view,
      dispositions: dispositions.map((d) => ({ code: d.code, labelZh: d.labelZh, labelEn: d.labelEn })),
      script,
    });
  }

  private async sendPreview(s: Session, e: Extract<DialerEvent, { type: 'PreviewOffered' }>): Promise<void> {
    const { view } = await this.contactFor(s, e.contactId, 'preview');
    s.conn.send({
      type: 'preview',
      previewId: e.previewId,
      campaignId: e.campaignId,
      timeoutS: e.timeoutS,
      contact: view,
    });
  }

  private sendStats(s: Session, campaignId: string): void {
    const runner = this.deps.dialer.runner(campaignId);
    const agents: Record<string, number> = { ready: 0, reserved: 0, talking: 0, wrap_up: 0, paused: 0 };
    for (const a of this.deps.dialer.desk.all())
      if (a.orgId === null || a.orgId === s.principal.orgId) agents[a.state.status] = (agents[a.state.status] ?? 0) + 1;
    s.conn.send({
      type: 'stats',
      campaignId,
      at: this.now(),
      stats: runner
        ? { running: true, ...runner.snapshotStats(), liveCalls: runner.liveCalls, agents }
        : { running: false, agents },
    });
  }

  private pushStats(): void {
    for (const s of this.sessions) for (const c of s.campaigns) this.sendStats(s, c);
  }

  /** Clients silent past the heartbeat timeout are dropped (and their agents marked lost). */
  private sweep(): void {
    const limit = this.now() - this.heartbeatTimeoutMs;
    for (const s of [...this.sessions]) {
      if (s.lastSeen >= limit) continue;
      s.conn.close('heartbeat timeout');
      this.closed(s);
    }
    if (this.now() >= this.nextSessionCheck) {
      this.nextSessionCheck = this.now() + this.sessionCheckMs;
      this.checkSessions().catch((err: unknown) =>
        this.log.error({ err }, 'checking that live sessions still hold failed; tried again at the next check'),
      );
    }
  }

  /**
   * Sessions can end where this node cannot hear it (another node's logout, expiry, a user
   * disabled through another node): every `sessionCheckMs` the open connections' sessions are
   * looked up, and the ones no longer live are closed.
   */
  private async checkSessions(): Promise<void> {
    const open = [...this.sessions];
    if (open.length === 0) return;
    const live = new Set(
      await this.deps.repos.sessions.stillActive(
        [...new Set(open.map((s) => s.principal.sessionId))],
        new Date(this.now()),
      ),
    );
    for (const s of open) if (!s.closed && !live.has(s.principal.sessionId)) this.end(s, 'expired or revoked');
  }

  /** Closes the user's connections (one session, or all) and takes them off the dialer. */
  private endSessions(userId: string, sessionId: string | null, reason: string): void {
    for (const s of [...this.sessions])
      if (s.principal.userId === userId && (sessionId === null || s.principal.sessionId === sessionId))
        this.end(s, reason);
  }

  private end(s: Session, reason: string): void {
    if (s.closed) return;
    s.conn.send({
      type: 'error',
      id: null,
      code: 'session_ended',
      message: `your session ended (${reason}); log in again`,
    });
    const id = s.principal.userId;
    const owned = this.owners.get(id) === s;
    s.closed = true;
    this.sessions.delete(s);
    if (owned) {
      this.owners.delete(id);
      if (this.deps.dialer.desk.get(id)) {
        // No more calls at once; a call in progress ends through telephony, then the agent leaves.
        this.deps.dialer.agent(id, { type: 'lost', at: this.now() });
        this.deps.scheduler.clearTimeout(this.graceTimers.get(id));
        this.graceTimers.delete(id);
        this.retire(id);
      }
    }
    s.conn.close('session ended');
  }

  private closed(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    this.sessions.delete(s);
    const id = s.principal.userId;
    if (this.owners.get(id) !== s) return;
    this.owners.delete(id);
    if (!this.deps.dialer.desk.get(id)) return;
    // No more calls from now on; a call in progress goes on (the phone line is not the browser).
    this.deps.dialer.agent(id, { type: 'lost', at: this.now() });
    this.armGrace(id);
  }

  private armGrace(id: string): void {
    this.graceTimers.set(
      id,
      this.deps.scheduler.setTimeout(() => {
        this.graceTimers.delete(id);
        if (this.owners.has(id)) return; // came back
        this.retire(id);
      }, this.graceMs),
    );
  }

  /** Logs an agent with no connection out of the dialer — now, or after the call they are on. */
  private retire(id: string): void {
    const a = this.deps.dialer.desk.get(id);
    if (!a) return;
    const at = this.now();
    try {
      if (a.state.status === 'wrap_up' && a.state.callId)
        this.deps.dialer.agent(id, { type: 'wrap_done', at, callId: a.state.callId, thenPause: 'connection_lost' });
      const now = this.deps.dialer.desk.get(id);
      if (now && (now.state.status === 'paused' || now.state.status === 'ready'))
        this.deps.dialer.agent(id, { type: 'logout', at });
      else if (now) this.armGrace(id); // still on a call: look again later
    } catch (err) {
      // The agent's state moved meanwhile (a call came, a disposition landed): look again later.
      this.log.debug({ err, agentId: id }, 'logging out a lost agent was refused; looking again later');
      this.armGrace(id);
    }
  }
}

/**
 * Who and what an agent-directed dial is for: the contact (of the agent's own list, or any for
 * managers) or the typed number (calls:dial_number) found in the project or added to it through
 * the import rules. Refusals: 403 (role), 404 (not the agent's, or another organisation's), 409
 * with the gate's words (a do-not-call number).
 */
export async function resolveDialTarget(
  deps: { repos: Repositories; contactsApi?: ContactsApiService | undefined },
  p: Principal,
  target: { contactId?: string | undefined; project?: string | undefined; phone?: string | undefined },
): Promise<{ contactId: string; projectId: string }> {
  if (!can(p.role, 'calls:handle')) throw new AppError('forbidden', 'your role does not take calls');
  let contactId = target.contactId;
  let projectId: string;
  if (contactId) {
    const c = await deps.repos.contacts.get(
      p.orgId,
      contactId,
      can(p.role, 'contacts:read_all') ? undefined : p.userId,
    );
    if (!c) throw new AppError('not_found', 'contact not found in your list');
    projectId = c.projectId;
  } else {
    if (!can(p.role, 'calls:dial_number'))
      throw new AppError('forbidden', 'typing a number to dial needs a supervisor (calls:dial_number)');
    if (!target.project || !target.phone)
      throw new AppError('validation_failed', 'give contactId, or project and phone', { field: 'phone' });
    const project = await deps.repos.projects.getByCode(p.orgId, target.project);
    if (!project) throw new AppError('not_found', `project "${target.project}" not found`);
    projectId = project.id;
    const n = normalizePhone(target.phone, project.defaultRegion);
    if (!n.ok) throw new AppError('validation_failed', n.message, { field: 'phone', code: n.code });
    const found = await deps.repos.contacts.list(p.orgId, { projectId, phone: n.e164, limit: 1, offset: 0 });
    contactId = found.items[0]?.id;
    if (!contactId) {
      if (!deps.contactsApi) throw new AppError('invalid_state', 'numbers cannot be added on this node');
      const { verdicts } = await deps.contactsApi.create(p, target.project, [{ phone: target.phone }]);
      const v = verdicts[0]!;
      if (v.outcome === 'dnc') throw refusal('dnc');
      if (!v.contactId)
        throw new AppError('validation_failed', v.message ?? 'the number cannot be dialed', { verdict: v });
      contactId = v.contactId;
    }
  }
  return { contactId, projectId };
}

/** The compliance gate's refusal, in words (zh and en), for the agent who asked for the dial. */
function refusal(code: string): AppError {
  const w = (REFUSAL_WORDS as Record<string, { zh: string; en: string } | undefined>)[code] ?? {
    zh: '合规检查拒绝了这次拨打。',
    en: 'The compliance gate refused this call.',
  };
  return new AppError('invalid_state', `${w.en} ${w.zh}`, { reason: 'refused', code, zh: w.zh, en: w.en });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an agent's skills meet a campaign's needs, as routing reads them (every skill, at the lowest required level). */
function hasSkills(skills: Readonly<Record<string, number>>, required: Readonly<Record<string, number>>): boolean {
  const codes = Object.keys(required);
  const min = codes.length ? Math.min(...Object.values(required)) : 1;
  return codes.every((code) => (skills[code] ?? 0) >= min);
}

function errorMessage(id: string | number | null, err: unknown): ServerMessage {
  if (err instanceof AppError)
    return {
      type: 'error',
      id,
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    };
  if (err instanceof AgentEventRefused)
    return { type: 'error', id, code: 'invalid_state', message: err.message, details: { reason: err.code } };
  return { type: 'error', id, code: 'internal', message: 'internal error' };
}
