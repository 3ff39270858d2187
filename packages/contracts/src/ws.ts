import { Type, type Static, type TSchema } from 'typebox';
import { Code, Role } from './common.ts';
import { Contact } from './contacts.ts';
import { AgentStatus, PacingMode, PublicEvent } from './events.ts';
import { Answers, KnowledgePrompt, ScriptState } from './questionnaires.ts';
import { OrderInput } from './orders.ts';

/**
 * The live connection (`GET /api/v1/ws`): JSON messages, one per frame. What a workstation or a
 * supervisor's screen sends (ClientMessage) and what the server pushes (ServerMessage).
 * docs/websocket.md walks through them.
 */

/** An optional id the client chooses; the server's ack or error for the message carries it back. */
const Id = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()]));
const msg = <T extends string, P extends Record<string, TSchema>>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), id: Id, ...props }, { additionalProperties: false });

export const ClientMessageVariants = [
  msg('auth', { token: Type.String({ minLength: 1, maxLength: 200 }) }),
  msg('login', {}),
  msg('ready', {}),
  msg('pause', { reason: Code }),
  msg('logout', {}),
  msg('heartbeat', {}),
  msg('hangup', {}),
  msg('preview_dial', {}),
  msg('preview_skip', { reason: Code }),
  msg('disposition', {
    code: Code,
    notes: Type.Optional(Type.String({ maxLength: 4000 })),
    callbackAt: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date-time' })),
    pause: Type.Optional(Code),
    answers: Type.Optional(Answers),
    order: Type.Optional(OrderInput),
  }),
  /**
   * Agent-directed dialing: a contact of one's own list, or (supervisors: calls:dial_number) a
   * typed number of a project. The ack carries the attempt; a refusal by the compliance gate
   * comes as an error with its code and words (zh, en).
   */
  msg('dial', {
    contactId: Type.Optional(Type.String({ format: 'uuid' })),
    project: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 64 })),
  }),
  /** The call's answers so far (the whole set): validated and saved; the ack carries the script's next step. */
  msg('answers', { answers: Answers }),
  /** The agent's notes on the call, as typed: matched against the knowledge prompts (pushed as `knowledge`). */
  msg('notes', { text: Type.String({ minLength: 1, maxLength: 4000 }) }),
  /**
   * Puts the call the agent is talking on on hold (`on: true`, the customer hears silence or music)
   * or takes it off. Refused when the agent is on no call or the telephony cannot hold.
   */
  msg('hold', { on: Type.Boolean() }),
  /**
   * Moves the call the agent is talking on to another ready agent of the organisation (`to`: their
   * user id or username). blind: the call goes over at once; attended: the customer waits on hold
   * while the second agent's phone rings. The first agent goes to wrap-up when the second takes it.
   */
  msg('transfer', {
    to: Type.String({ minLength: 1, maxLength: 64 }),
    mode: Type.Union([Type.Literal('blind'), Type.Literal('attended')]),
  }),
  /** The agents the current call can go to (ready, same organisation, with the campaign's skills): the ack's result. */
  msg('transfer_targets', {}),
  msg('subscribe', { campaignId: Type.String({ format: 'uuid' }) }),
  msg('unsubscribe', { campaignId: Type.String({ maxLength: 64 }) }),
] as const;
export const ClientMessage = Type.Union([...ClientMessageVariants]);
export type ClientMessage = Static<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];
/** What the engine's gateway handles: every message but `auth`, which the transport consumes. */
export type SessionMessage = Exclude<ClientMessage, { type: 'auth' }>;

export const AgentStateView = Type.Object({
  status: AgentStatus,
  since: Type.Number({ description: 'epoch ms' }),
  callId: Type.Union([Type.String(), Type.Null()]),
  pauseReason: Type.Union([Type.String(), Type.Null()]),
});
export type AgentStateView = Static<typeof AgentStateView>;

/** What the call's telephony can do beyond dialing (the workstation enables Hold and Transfer by it). */
export const CallControls = Type.Object({ hold: Type.Boolean(), transfer: Type.Boolean() });
export type CallControls = Static<typeof CallControls>;

/** A ready agent a call can be transferred to (the `transfer_targets` ack's result is `{ agents: [...] }`). */
export const TransferTarget = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
});
export type TransferTarget = Static<typeof TransferTarget>;

export const DispositionOption = Type.Object({ code: Type.String(), labelZh: Type.String(), labelEn: Type.String() });

/** A campaign's live figures, pushed to its followers every few seconds. */
export const LiveStats = Type.Union([
  Type.Object({
    running: Type.Literal(true),
    dials: Type.Integer(),
    answered: Type.Object({ person: Type.Integer(), machine: Type.Integer() }),
    connects: Type.Integer(),
    abandons: Type.Integer(),
    refusals: Type.Record(Type.String(), Type.Integer()),
    mode: PacingMode,
    modeReason: Type.String(),
    breaker: Type.Optional(Type.String()),
    previews: Type.Object({
      offered: Type.Integer(),
      dialed: Type.Integer(),
      skipped: Type.Record(Type.String(), Type.Integer()),
    }),
    liveCalls: Type.Integer(),
    agents: Type.Record(Type.String(), Type.Integer()),
  }),
  Type.Object({ running: Type.Literal(false), agents: Type.Record(Type.String(), Type.Integer()) }),
]);
export type LiveStats = Static<typeof LiveStats>;

const ReplyId = Type.Union([Type.String(), Type.Number(), Type.Null()]);
export const ServerMessage = Type.Union([
  Type.Object({
    type: Type.Literal('hello'),
    userId: Type.String(),
    username: Type.String(),
    role: Role,
    canTakeCalls: Type.Boolean(),
    /** Whether this node's telephony can hold and transfer calls. */
    callControls: CallControls,
    heartbeatMs: Type.Number(),
  }),
  Type.Object({
    type: Type.Literal('ack'),
    id: ReplyId,
    request: Type.String(),
    result: Type.Optional(Type.Unknown()),
  }),
  Type.Object({
    type: Type.Literal('error'),
    id: ReplyId,
    code: Type.String({
      description: 'the API error codes, plus `replaced` (logged in elsewhere) and `session_ended`',
    }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
  Type.Object({ type: Type.Literal('state'), state: AgentStateView }),
  /** The screen pop: a call routed to this agent, with the customer (numbers masked by role). */
  Type.Object({
    type: Type.Literal('call'),
    attemptId: Type.String(),
    campaignId: Type.String(),
    waitMs: Type.Number(),
    contact: Type.Union([Contact, Type.Null()]),
    dispositions: Type.Array(DispositionOption),
    /** The call's questionnaire: the first question, rendered for this contact (null: the project has none). */
    script: Type.Union([ScriptState, Type.Null()]),
  }),
  /** Knowledge prompts whose keywords came up in this call's notes or transcript. */
  Type.Object({ type: Type.Literal('knowledge'), attemptId: Type.String(), prompts: Type.Array(KnowledgePrompt) }),
  /** The agent's call went on hold (`on: true`, since `at`, epoch ms) or came off it. */
  Type.Object({ type: Type.Literal('hold'), attemptId: Type.String(), on: Type.Boolean(), at: Type.Number() }),
  /**
   * The agent's call went over to another agent (who gets the `call` screen pop of the same
   * attempt): this agent is in wrap-up for it now and records the disposition of their part.
   */
  Type.Object({
    type: Type.Literal('transferred'),
    attemptId: Type.String(),
    to: TransferTarget,
    mode: Type.Union([Type.Literal('blind'), Type.Literal('attended'), Type.Null()]),
  }),
  Type.Object({ type: Type.Literal('call_ended'), attemptId: Type.String(), outcome: Type.String() }),
  /** Preview mode: a contact offered to this agent; dial or skip it within `timeoutS`. */
  Type.Object({
    type: Type.Literal('preview'),
    previewId: Type.String(),
    campaignId: Type.String(),
    timeoutS: Type.Number(),
    contact: Type.Union([Contact, Type.Null()]),
  }),
  Type.Object({ type: Type.Literal('event'), event: PublicEvent }),
  Type.Object({ type: Type.Literal('stats'), campaignId: Type.String(), at: Type.Number(), stats: LiveStats }),
]);
export type ServerMessage = Static<typeof ServerMessage>;
