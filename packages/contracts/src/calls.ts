import { Type, type Static } from 'typebox';
import { Code, DateTime, IdParams, Nullable, NullableDateTime, strict, Uuid } from './common.ts';
import { AgentStatus, CallOutcome } from './events.ts';
import { operation } from './operation.ts';
import { Answers, CallAnswers } from './questionnaires.ts';
import { Order, OrderInput } from './orders.ts';

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
  answers: Nullable(CallAnswers),
  order: Nullable(Order),
});
export type Attempt = Static<typeof Attempt>;

export const getAttempt = operation(
  'GET',
  '/attempts/:id',
  {
    operationId: 'getAttempt',
    tags: ['calls'],
    summary:
      'One call attempt: its outcome record, its disposition and its questionnaire answers (with the version they answer) (agents: their own calls)',
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
    answers: Type.Optional(Answers),
    order: Type.Optional(OrderInput),
  },
  strict,
);
export const DispositionResult = Type.Object({
  disposition: DispositionRecord,
  next: NextStep,
  addedToDnc: Type.Boolean(),
  order: Nullable(Order),
  escalatedTo: Nullable(Type.String({ description: "the skill group the contact's task moved to" })),
});
export type DispositionResult = Static<typeof DispositionResult>;

export const recordDisposition = operation(
  'POST',
  '/attempts/:id/disposition',
  {
    operationId: 'recordDisposition',
    tags: ['calls'],
    summary:
      "Record the disposition (落单) of a call that reached an agent: a code from the project's list, notes, a callback (required by callback codes), the questionnaire's answers (required to the end by codes that say so), an order (success codes). The code's effect decides the contact's next step — close, retry after its delay, a callback owned by the agent or by anyone, do-not-call, escalation to a skill group. Ends the agent's wrap-up (then ready, or the pause given).",
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

export const dial = operation(
  'POST',
  '/dial',
  {
    operationId: 'dial',
    tags: ['calls'],
    summary:
      'Agent-directed dialing (手工发呼/拨号外呼): dial a contact of your own list (your tasks, your callbacks), or — with calls:dial_number (supervisors) — a typed number of a project. You must be logged in to the dialer and ready; a running campaign of the project dials it through the compliance gate (DNC, windows, caps). A refusal is 409 with `details.code` and the reason in words (`details.zh`, `details.en`).',
    body: Type.Union([
      Type.Object({ contactId: Uuid }, strict),
      Type.Object(
        { project: Type.String({ minLength: 1, maxLength: 40 }), phone: Type.String({ minLength: 3, maxLength: 64 }) },
        strict,
      ),
    ]),
    response: { 201: Type.Object({ attemptId: Uuid, contactId: Uuid }) },
  },
  [403, 404, 409],
);
