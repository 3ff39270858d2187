import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, type HttpContext } from '../context.ts';
import { DateTime, NullableDateTime, pageQuery, Uuid, paged, toLimit } from '../schemas.ts';

const Channel = Type.Union([Type.Literal('agent_call'), Type.Literal('ivr_call'), Type.Literal('sms')]);
const TaskSchema = Type.Object({
  id: Uuid,
  projectId: Uuid,
  contactId: Uuid,
  channel: Channel,
  assigneeUserId: Type.Union([Uuid, Type.Null()]),
  skillGroupId: Type.Union([Uuid, Type.Null()]),
  status: Type.String(),
  priority: Type.Integer(),
  dueAt: NullableDateTime,
  createdAt: DateTime,
});

export const taskRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/projects/:code/tasks/assign',
      {
        schema: {
          tags: ['tasks'],
          summary:
            'Put open contacts into a channel and onto agents: even split by workload (optionally by skill), all to one agent, or to a skill queue',
          params: Type.Object({ code: Type.String() }),
          body: Type.Object({
            channel: Type.Optional(Channel),
            strategy: Type.Union([Type.Literal('even'), Type.Literal('manual'), Type.Literal('queue')]),
            skill: Type.Optional(Type.String()),
            agentUserId: Type.Optional(Uuid),
            tag: Type.Optional(Type.String()),
            limit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000 }),
          }),
          response: {
            200: Type.Object({ created: Type.Integer(), perAgent: Type.Record(Type.String(), Type.Integer()) }),
          },
        },
      },
      async (req) =>
        ctx.services.tasks.assign(principalOf(req), {
          ...req.body,
          channel: req.body.channel ?? 'agent_call',
          projectCode: req.params.code,
        }),
    );

    app.get(
      '/tasks',
      {
        schema: {
          tags: ['tasks'],
          summary: 'Tasks; agents always get only their own',
          querystring: pageQuery({
            project: Type.Optional(Type.String()),
            mine: Type.Optional(Type.Boolean()),
            status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('cancelled')])),
          }),
          response: { 200: paged(TaskSchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.tasks.list(principalOf(req), {
          projectCode: req.query.project,
          mine: req.query.mine,
          status: req.query.status,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );
  };
