import { Type, type Static } from 'typebox';
import { Code, DateTime, IdParams, Nullable, NullableDateTime, strict, Uuid } from './common.ts';
import { AgentStatus, CallOutcome } from './events.ts';
import { operation } from './operation.ts';

export const NextStep = Type.Object({
  kind: Type.Union([Type.Literal('closed'), Type.Literal('callback'), Type.Literal('retry')]),
  reason: Type.Optional(Type.String()),
  at: Type.Optional(DateTime),
});
export type NextStep = Static<typeof NextStep>;

export const DispositionRecord = Type.Object({
  id: Uuid,
  attemptId: Nullable(Uuid),
  contactId: Uuid,
  agentUserId: Nullable(Uuid),
  code: Type.String(),
  notes: Type.String(),
  callbackAt: NullableDateTime,
  createdAt: DateTime,
});
export type DispositionRecord = Static<typeof DispositionRecord>;

export const Attempt = Type.Object({
  id: Uuid,
  campaignId: Nullable(Uuid),
  contactId: Uuid,
  dialMode: Type.String(),
  agentUserId: Nullable(Uuid),
  placedAt: DateTime,
  answeredAt: NullableDateTime,
  connectedAt: NullableDateTime,
  endedAt: NullableDateTime,
  outcome: Nullable(CallOutcome),
  hangupSide: Nullable(Type.String()),
  sipCause: Nullable(Type.Integer()),
  amdResult: Nullable(Type.String()),
  abandoned: Type.Boolean(),
  disposition: Nullable(DispositionRecord),
});
export type Attempt = Static<typeof Attempt>;

export const getAttempt = operation(
  'GET',
  '/attempts/:id',
  {
    operationId: 'getAttempt',
    tags: ['calls'],
    summary: 'One call attempt: its outcome record and its disposition (agents: their own calls)',
    params: IdParams,
    response: { 200: Attempt },
  },
  [403, 404],
);

export const RecordDispositionBody = Type.Object(
  {
    code: Code,
    notes: Type.Optional(Type.String({ maxLength: 4000 })),
    callbackAt: Type.Optional(Type.String({ format: 'date-time' })),
    pause: Type.Optional(Code),
    answers: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 500 })),
  },
  strict,
);
export const DispositionResult = Type.Object({
  disposition: DispositionRecord,
  next: NextStep,
  addedToDnc: Type.Boolean(),
});
export type DispositionResult = Static<typeof DispositionResult>;

export const recordDisposition = operation(
  'POST',
  '/attempts/:id/disposition',
  {
    operationId: 'recordDisposition',
    tags: ['calls'],
    summary:
      "Record the disposition (落单) of a call that reached an agent: a code from the project's list, notes, an optional callback. Decides the contact's next step; ends the agent's wrap-up (then ready, or the pause given).",
    params: IdParams,
    body: RecordDispositionBody,
    response: { 201: DispositionResult },
  },
  [403, 404, 409],
);

export const DialerAgent = Type.Object({
  agentId: Uuid,
  status: AgentStatus,
  since: DateTime,
  callId: Nullable(Uuid),
  pauseReason: Nullable(Type.String()),
});
export const listDialerAgents = operation(
  'GET',
  '/dialer/agents',
  {
    operationId: 'listDialerAgents',
    tags: ['calls'],
    summary: "Agents of your organisation logged in to this node's dialer and their states (supervisors)",
    response: { 200: Type.Object({ items: Type.Array(DialerAgent) }) },
  },
  [403],
);
