import { Type, type Static } from 'typebox';
import { DateTime, IdParams, Nullable, NullableDateTime, pageQuery, paged, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const CampaignStatus = Type.Union([
  Type.Literal('draft'),
  Type.Literal('scheduled'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('finished'),
]);
export type CampaignStatus = Static<typeof CampaignStatus>;

export const DialMode = Type.Union(
  [
    Type.Literal('preview'),
    Type.Literal('progressive'),
    Type.Literal('power'),
    Type.Literal('predictive'),
    Type.Literal('ivr'),
  ],
  {
    description:
      'preview | progressive | power | predictive | ivr (agentless: a prompt, keys for an agent or do-not-call)',
  },
);
export type DialMode = Static<typeof DialMode>;

/** The modes the safety governor may run a campaign in (it steps down from predictive on breaches). */
export const GovernedMode = Type.Union([
  Type.Literal('preview'),
  Type.Literal('progressive'),
  Type.Literal('power'),
  Type.Literal('predictive'),
]);

export const Routing = Type.Union(
  [
    Type.Object({ kind: Type.Literal('longest_idle') }, strict),
    Type.Object(
      {
        kind: Type.Literal('score'),
        levelWeight: Type.Number({ minimum: 0, maximum: 1e6 }),
        idleWeight: Type.Number({ minimum: 0, maximum: 1e6 }),
        tierWeight: Type.Number({ minimum: 0, maximum: 1e6 }),
      },
      strict,
    ),
  ],
  {
    description:
      'answered calls go to the agent idle longest, or to the best score = levelWeight·skill level + idleWeight·idle s + tierWeight·value tier·level',
  },
);

/** Every setting of a campaign; the server checks it matches the domain's CampaignSettings at compile time. */
export const CampaignSettings = Type.Object(
  {
    dialMode: DialMode,
    linesPerAgent: Type.Number({ description: 'power mode: lines per ready agent (1–5)' }),
    abandonTarget: Type.Number({
      description: 'predictive: abandon-rate target, share of person-answered calls (≤ 0.03)',
    }),
    maxCallsPerSecond: Type.Number(),
    ringTimeoutSeconds: Type.Integer({ description: '15–120 s (FTC: at least 15 s)' }),
    amd: Type.Boolean({ description: 'answering-machine detection' }),
    requiredSkills: Type.Record(Type.String({ maxLength: 40 }), Type.Integer(), {
      maxProperties: 50,
      description: 'skill code → minimum level (1–10); every code must be a skill group of the organisation',
    }),
    tags: Type.Array(Type.String({ maxLength: 100 }), {
      maxItems: 50,
      description: 'only contacts carrying all of these tags',
    }),
    callerIds: Type.Array(Type.String({ maxLength: 32 }), {
      maxItems: 1000,
      description: "E.164 caller IDs, rotated; empty: the project's pool",
    }),
    routing: Routing,
    valueTierField: Type.Union([Type.String({ maxLength: 40 }), Type.Null()], {
      description: "custom field holding the customer's value tier 0–3 (score routing)",
    }),
    lists: Type.Array(Type.String({ format: 'uuid' }), {
      maxItems: 1000,
      description: "only contacts of these lists (the project's import ids); empty: all",
    }),
    listDailyCaps: Type.Record(Type.String({ format: 'uuid' }), Type.Integer(), {
      maxProperties: 1000,
      description: "list (the project's import id) → most attempts per project day",
    }),
    previewTimeoutSeconds: Type.Integer({
      description:
        'preview mode: seconds an agent may look at a contact before it is skipped as "timeout" (10–900, default 120)',
    }),
    startAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'ISO date-time; a scheduled campaign starts itself then',
    }),
    endAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'ISO date-time; the campaign finishes itself then',
    }),
    trunk: Type.Optional(
      Type.Union([Type.String({ maxLength: 64 }), Type.Null()], {
        description: "the SIP trunk (by name, see /trunks) the calls go out on; null: the carrier's default",
      }),
    ),
    ivr: Type.Optional(
      Type.Union([
        Type.Object(
          {
            lines: Type.Integer({ description: 'calls in progress at once (IVR pacing), 1–1000' }),
            prompt: Type.String({ maxLength: 40, description: "the carrier's prompt name" }),
            agentKey: Type.Union([Type.String({ maxLength: 1 }), Type.Null()], { description: 'key for an agent' }),
            dncKey: Type.Union([Type.String({ maxLength: 1 }), Type.Null()], { description: 'key for do-not-call' }),
            keyTimeoutSeconds: Type.Integer({ description: 'seconds to wait for a key, 3–60' }),
          },
          strict,
        ),
        Type.Null(),
      ]),
    ),
  },
  strict,
);
export type CampaignSettings = Static<typeof CampaignSettings>;
export const CampaignSettingsPatch = Type.Partial(CampaignSettings, strict);

export const CampaignAction = Type.Union([
  Type.Literal('schedule'),
  Type.Literal('start'),
  Type.Literal('pause'),
  Type.Literal('resume'),
  Type.Literal('stop'),
]);
export type CampaignAction = Static<typeof CampaignAction>;

export const Campaign = Type.Object({
  id: Uuid,
  projectId: Uuid,
  projectCode: Type.String(),
  name: Type.String(),
  status: CampaignStatus,
  settings: CampaignSettings,
  finishReason: Nullable(Type.String()),
  statusReason: Type.Union([
    Type.String({ description: 'why the system put the campaign in this state (e.g. the circuit breaker paused it)' }),
    Type.Null(),
  ]),
  actions: Type.Array(CampaignAction, { description: 'the lifecycle actions allowed now' }),
  createdAt: DateTime,
  updatedAt: DateTime,
  startedAt: NullableDateTime,
  finishedAt: NullableDateTime,
});
export type Campaign = Static<typeof Campaign>;

export const CampaignFigures = Type.Object({
  dials: Type.Integer(),
  answeredPerson: Type.Integer(),
  answeredMachine: Type.Integer(),
  connects: Type.Integer(),
  abandons: Type.Integer(),
  live: Type.Integer(),
  abandonRate: Type.Number({ description: 'abandons / person-answered calls' }),
});
export type CampaignFigures = Static<typeof CampaignFigures>;

export const LiveDialerFigures = Type.Object({
  mode: GovernedMode,
  modeReason: Type.String(),
  refusals: Type.Record(Type.String(), Type.Integer(), { description: 'compliance refusals by reason' }),
  agents: Type.Record(Type.String(), Type.Integer(), {
    description: "this organisation's agents on this node by state",
  }),
  liveCalls: Type.Integer(),
});
export type LiveDialerFigures = Static<typeof LiveDialerFigures>;

export const CampaignStats = Type.Object({
  campaignId: Uuid,
  status: CampaignStatus,
  abandonLimit: Type.Number(),
  today: CampaignFigures,
  period30d: CampaignFigures,
  previewsToday: Type.Object({
    decided: Type.Integer(),
    dialed: Type.Integer(),
    skipped: Type.Record(Type.String(), Type.Integer()),
    meanPreviewSeconds: Nullable(Type.Number()),
    utilisation: Type.Union([Type.Number(), Type.Null()], { description: 'dialed / decided' }),
  }),
  dialer: Nullable(LiveDialerFigures),
});
export type CampaignStats = Static<typeof CampaignStats>;

export const CreateCampaignBody = Type.Object(
  {
    project: Type.String({ minLength: 1, maxLength: 40 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    settings: Type.Optional(CampaignSettingsPatch),
  },
  strict,
);

export const createCampaign = operation(
  'POST',
  '/campaigns',
  {
    operationId: 'createCampaign',
    tags: ['campaigns'],
    summary:
      'Create a campaign (draft) on a project; unset settings take their defaults (predictive, 3% abandon target, 25 s ring)',
    body: CreateCampaignBody,
    response: { 201: Campaign },
  },
  [403, 404],
);

export const listCampaigns = operation(
  'GET',
  '/campaigns',
  {
    operationId: 'listCampaigns',
    tags: ['campaigns'],
    summary: 'Campaigns, newest first',
    querystring: pageQuery({
      project: Type.Optional(Type.String({ maxLength: 40 })),
      status: Type.Optional(CampaignStatus),
    }),
    response: { 200: paged(Campaign) },
  },
  [403, 404],
);

export const getCampaign = operation(
  'GET',
  '/campaigns/:id',
  {
    operationId: 'getCampaign',
    tags: ['campaigns'],
    summary: 'One campaign, with the actions allowed now',
    params: IdParams,
    response: { 200: Campaign },
  },
  [403, 404],
);

export const getCampaignStats = operation(
  'GET',
  '/campaigns/:id/stats',
  {
    operationId: 'getCampaignStats',
    tags: ['campaigns'],
    summary:
      'Live figures: dials, answers (person/machine), connects, abandons and the abandon rate against its limit, today and over 30 days; the dial mode now and why, agents by state, compliance refusals by reason (when this node runs the campaign)',
    params: IdParams,
    response: { 200: CampaignStats },
  },
  [403, 404],
);

export const updateCampaign = operation(
  'PATCH',
  '/campaigns/:id',
  {
    operationId: 'updateCampaign',
    tags: ['campaigns'],
    summary:
      'Change settings (until the campaign finishes; a running one applies them within 2 s — a new pacing restarts from the configured mode)',
    params: IdParams,
    body: CampaignSettingsPatch,
    response: { 200: Campaign },
  },
  [403, 404, 409],
);

export const actOnCampaign = operation(
  'POST',
  '/campaigns/:id/:action',
  {
    operationId: 'actOnCampaign',
    tags: ['campaigns'],
    summary:
      'Lifecycle: schedule (needs settings.startAt), start, pause, resume, stop. 409 invalid_state names the actions allowed now',
    params: Type.Object({ id: Uuid, action: CampaignAction }, strict),
    response: { 200: Campaign },
  },
  [403, 404, 409],
);

export const CampaignSeries = Type.Object({
  campaignId: Uuid,
  unit: Type.Union([Type.Literal('minute'), Type.Literal('hour')]),
  buckets: Type.Array(
    Type.Object({
      start: DateTime,
      dials: Type.Integer(),
      answered: Type.Integer({ description: 'answered by a person' }),
      abandons: Type.Integer(),
    }),
    { description: 'oldest first; buckets without calls are absent' },
  ),
});
export type CampaignSeries = Static<typeof CampaignSeries>;

export const getCampaignSeries = operation(
  'GET',
  '/campaigns/:id/series',
  {
    operationId: 'getCampaignSeries',
    tags: ['campaigns'],
    summary:
      "A campaign's recent history for charts: dials, person answers and abandons per bucket (by placing time), minutes for up to 3 hours, hours beyond",
    params: IdParams,
    querystring: Type.Object(
      { hours: Type.Integer({ minimum: 1, maximum: 72, default: 6, description: 'how far back' }) },
      strict,
    ),
    response: { 200: CampaignSeries },
  },
  [403, 404],
);
