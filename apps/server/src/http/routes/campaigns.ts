import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, type HttpContext } from '../context.ts';
import { DateTime, NullableDateTime, pageQuery, paged, toLimit, Uuid } from '../schemas.ts';

const Status = Type.Union([
  Type.Literal('draft'),
  Type.Literal('scheduled'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('finished'),
]);
const Settings = Type.Object({
  dialMode: Type.Union(
    [Type.Literal('preview'), Type.Literal('progressive'), Type.Literal('power'), Type.Literal('predictive')],
    { description: 'preview | progressive | power | predictive' },
  ),
  linesPerAgent: Type.Number({ description: 'power mode: lines per ready agent (1–5)' }),
  abandonTarget: Type.Number({
    description: 'predictive: abandon-rate target, share of person-answered calls (≤ 0.03)',
  }),
  maxCallsPerSecond: Type.Number(),
  ringTimeoutSeconds: Type.Integer({ description: '15–120 s (FTC: at least 15 s)' }),
  amd: Type.Boolean({ description: 'answering-machine detection' }),
  requiredSkills: Type.Record(Type.String(), Type.Integer(), { description: 'skill code → minimum level (1–10)' }),
  tags: Type.Array(Type.String(), { description: 'only contacts carrying all of these tags' }),
  callerIds: Type.Array(Type.String(), { description: "E.164 caller IDs, rotated; empty: the project's pool" }),
  routing: Type.Optional(
    Type.Union(
      [
        Type.Object({ kind: Type.Literal('longest_idle') }),
        Type.Object({
          kind: Type.Literal('score'),
          levelWeight: Type.Number(),
          idleWeight: Type.Number(),
          tierWeight: Type.Number(),
        }),
      ],
      {
        description:
          'answered calls go to the agent idle longest, or to the best score = levelWeight·skill level + idleWeight·idle s + tierWeight·value tier·level',
      },
    ),
  ),
  valueTierField: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: "custom field holding the customer's value tier 0–3 (score routing)",
    }),
  ),
  lists: Type.Optional(
    Type.Array(Type.String({ format: 'uuid' }), {
      description: 'only contacts of these lists (import ids); empty: all',
    }),
  ),
  listDailyCaps: Type.Optional(
    Type.Record(Type.String(), Type.Integer(), { description: 'list (import id) → most attempts per project day' }),
  ),
  previewTimeoutSeconds: Type.Optional(
    Type.Integer({
      description:
        'preview mode: seconds an agent may look at a contact before it is skipped as "timeout" (10–900, default 120)',
    }),
  ),
  startAt: Type.Union([Type.String(), Type.Null()], {
    description: 'ISO date-time; a scheduled campaign starts itself then',
  }),
  endAt: Type.Union([Type.String(), Type.Null()], { description: 'ISO date-time; the campaign finishes itself then' }),
});
const Action = Type.Union([
  Type.Literal('schedule'),
  Type.Literal('start'),
  Type.Literal('pause'),
  Type.Literal('resume'),
  Type.Literal('stop'),
]);
const CampaignSchema = Type.Object({
  id: Uuid,
  projectId: Uuid,
  projectCode: Type.String(),
  name: Type.String(),
  status: Status,
  settings: Settings,
  finishReason: Type.Union([Type.String(), Type.Null()]),
  statusReason: Type.Union([
    Type.String({ description: 'why the system put the campaign in this state (e.g. the circuit breaker paused it)' }),
    Type.Null(),
  ]),
  actions: Type.Array(Type.String()),
  createdAt: DateTime,
  updatedAt: DateTime,
  startedAt: NullableDateTime,
  finishedAt: NullableDateTime,
});

const pick = (s: { mode: string; modeReason: string; refusals: Record<string, number> }) => ({
  mode: s.mode,
  modeReason: s.modeReason,
  refusals: s.refusals,
});

export const campaignRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/campaigns',
      {
        schema: {
          tags: ['campaigns'],
          summary:
            'Create a campaign (draft) on a project; unset settings take their defaults (predictive, 3% abandon target, 25 s ring)',
          body: Type.Object({
            project: Type.String(),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            settings: Type.Optional(Type.Partial(Settings)),
          }),
          response: { 201: CampaignSchema },
        },
      },
      async (req, reply) => {
        const c = await ctx.services.campaigns.create(principalOf(req), {
          projectCode: req.body.project,
          name: req.body.name,
          settings: req.body.settings,
        });
        return reply.status(201).send(c);
      },
    );

    app.get(
      '/campaigns',
      {
        schema: {
          tags: ['campaigns'],
          summary: 'Campaigns, newest first',
          querystring: pageQuery({ project: Type.Optional(Type.String()), status: Type.Optional(Status) }),
          response: { 200: paged(CampaignSchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.campaigns.list(principalOf(req), {
          projectCode: req.query.project,
          status: req.query.status,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );

    app.get(
      '/campaigns/:id',
      {
        schema: {
          tags: ['campaigns'],
          summary: 'One campaign, with the actions allowed now',
          params: Type.Object({ id: Uuid }),
          response: { 200: CampaignSchema },
        },
      },
      async (req) => ctx.services.campaigns.get(principalOf(req), req.params.id),
    );

    const Figures = Type.Object({
      dials: Type.Integer(),
      answeredPerson: Type.Integer(),
      answeredMachine: Type.Integer(),
      connects: Type.Integer(),
      abandons: Type.Integer(),
      live: Type.Integer(),
      abandonRate: Type.Number({ description: 'abandons / person-answered calls' }),
    });
    app.get(
      '/campaigns/:id/stats',
      {
        schema: {
          tags: ['campaigns'],
          summary:
            'Live figures: dials, answers (person/machine), connects, abandons and the abandon rate against its limit, today and over 30 days; the dial mode now and why, agents by state, compliance refusals by reason (when this node runs the campaign)',
          params: Type.Object({ id: Uuid }),
          response: {
            200: Type.Object({
              campaignId: Uuid,
              status: Status,
              abandonLimit: Type.Number(),
              today: Figures,
              period30d: Figures,
              previewsToday: Type.Object({
                decided: Type.Integer(),
                dialed: Type.Integer(),
                skipped: Type.Record(Type.String(), Type.Integer()),
                meanPreviewSeconds: Type.Union([Type.Number(), Type.Null()]),
                utilisation: Type.Union([Type.Number(), Type.Null()], { description: 'dialed / decided' }),
              }),
              dialer: Type.Union([
                Type.Object({
                  mode: Type.String(),
                  modeReason: Type.String(),
                  refusals: Type.Record(Type.String(), Type.Integer()),
                  agents: Type.Record(Type.String(), Type.Integer()),
                  liveCalls: Type.Integer(),
                }),
                Type.Null(),
              ]),
            }),
          },
        },
      },
      async (req) => {
        const runner = ctx.dialer?.runner(req.params.id);
        const live =
          runner && ctx.dialer
            ? { ...pick(runner.snapshotStats()), agents: ctx.dialer.desk.counts(), liveCalls: runner.liveCalls }
            : null;
        return ctx.services.campaigns.stats(principalOf(req), req.params.id, live);
      },
    );

    app.patch(
      '/campaigns/:id',
      {
        schema: {
          tags: ['campaigns'],
          summary:
            'Change settings (until the campaign finishes; a running one applies them within 2 s — a new pacing restarts from the configured mode)',
          params: Type.Object({ id: Uuid }),
          body: Type.Partial(Settings),
          response: { 200: CampaignSchema },
        },
      },
      async (req) => ctx.services.campaigns.configure(principalOf(req), req.params.id, req.body),
    );

    app.post(
      '/campaigns/:id/:action',
      {
        schema: {
          tags: ['campaigns'],
          summary:
            'Lifecycle: schedule (needs settings.startAt), start, pause, resume, stop. 409 invalid_state names the actions allowed now',
          params: Type.Object({ id: Uuid, action: Action }),
          response: { 200: CampaignSchema },
        },
      },
      async (req) => ctx.services.campaigns.act(principalOf(req), req.params.id, req.params.action),
    );
  };
