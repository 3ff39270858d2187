import { Type, type Static } from 'typebox';

/**
 * Public events, version 1: what supervisors' live connections (and, later, webhooks and
 * reports) receive. They are their own types, mapped from the dialer's internal events in one
 * place (engine/dialer/public-events.ts), so internal refactors do not change the wire.
 * Times are epoch milliseconds.
 */
const base = { v: Type.Literal(1), at: Type.Number({ description: 'epoch ms' }) };

export const AmdVerdict = Type.Union([Type.Literal('human'), Type.Literal('machine'), Type.Literal('unknown')]);
export const CallOutcome = Type.Union(
  [
    Type.Literal('person'),
    Type.Literal('machine'),
    Type.Literal('no_answer'),
    Type.Literal('busy'),
    Type.Literal('failed'),
    Type.Literal('abandoned'),
    Type.Literal('cancelled'),
  ],
  { description: "the call's outcome as recorded on the attempt (person: a person answered)" },
);
export type CallOutcome = Static<typeof CallOutcome>;
export const NextStepKind = Type.Union([Type.Literal('closed'), Type.Literal('callback'), Type.Literal('retry')]);
export const AgentStatus = Type.Union([
  Type.Literal('logged_out'),
  Type.Literal('paused'),
  Type.Literal('ready'),
  Type.Literal('reserved'),
  Type.Literal('talking'),
  Type.Literal('wrap_up'),
]);
export type AgentStatus = Static<typeof AgentStatus>;
export const PacingMode = Type.Union([
  Type.Literal('preview'),
  Type.Literal('progressive'),
  Type.Literal('power'),
  Type.Literal('predictive'),
]);

export const PublicEvent = Type.Union([
  Type.Object({
    ...base,
    type: Type.Literal('call.placed'),
    campaignId: Type.String(),
    attemptId: Type.String(),
    contactId: Type.String(),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('call.answered'),
    campaignId: Type.String(),
    attemptId: Type.String(),
    amd: AmdVerdict,
  }),
  Type.Object({
    ...base,
    type: Type.Literal('call.connected'),
    campaignId: Type.String(),
    attemptId: Type.String(),
    contactId: Type.String(),
    agentId: Type.String(),
    waitMs: Type.Number(),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('call.ended'),
    campaignId: Type.String(),
    attemptId: Type.String(),
    agentId: Type.Union([Type.String(), Type.Null()]),
    outcome: CallOutcome,
    abandoned: Type.Boolean(),
    next: Type.Union([NextStepKind, Type.Literal('already_recorded')], {
      description: "the contact's next step, or already_recorded when another writer closed the attempt first",
    }),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('dial.refused'),
    campaignId: Type.String(),
    contactId: Type.String(),
    code: Type.String({ description: 'the compliance gate’s refusal code' }),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('agent.state_changed'),
    agentId: Type.String(),
    status: AgentStatus,
    pauseReason: Type.Union([Type.String(), Type.Null()]),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('campaign.mode_changed'),
    campaignId: Type.String(),
    from: PacingMode,
    to: PacingMode,
    reason: Type.String(),
    detail: Type.String(),
  }),
  Type.Object({ ...base, type: Type.Literal('campaign.finished'), campaignId: Type.String(), reason: Type.String() }),
  Type.Object({
    ...base,
    type: Type.Literal('campaign.breaker_tripped'),
    campaignId: Type.String(),
    reason: Type.String(),
    detail: Type.String(),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('preview.offered'),
    campaignId: Type.String(),
    previewId: Type.String(),
    agentId: Type.String(),
    contactId: Type.String(),
    timeoutS: Type.Number(),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('preview.decided'),
    campaignId: Type.String(),
    previewId: Type.String(),
    agentId: Type.String(),
    contactId: Type.String(),
    decision: Type.Union([Type.Literal('dial'), Type.Literal('skip')]),
    reason: Type.Union([Type.String(), Type.Null()]),
  }),
  Type.Object({
    ...base,
    type: Type.Literal('disposition.recorded'),
    campaignId: Type.Union([Type.String(), Type.Null()]),
    attemptId: Type.String(),
    contactId: Type.String(),
    agentId: Type.Union([Type.String(), Type.Null()]),
    code: Type.String(),
    next: NextStepKind,
  }),
]);
export type PublicEvent = Static<typeof PublicEvent>;
export type PublicEventType = PublicEvent['type'];
