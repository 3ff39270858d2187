import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tasks } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

export const taskRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...tasks.assignTasks,
      handler: async (req) =>
        ctx.services.tasks.assign(principalOf(req), {
          ...req.body,
          channel: req.body.channel ?? 'agent_call',
          projectCode: req.params.code,
        }),
    });

    app.route({
      ...tasks.listTasks,
      handler: async (req) => {
        const { items, total } = await ctx.services.tasks.list(principalOf(req), {
          projectCode: req.query.project,
          mine: req.query.mine,
          status: req.query.status,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...tasks.reassignTask,
      handler: async (req) => ctx.services.tasks.reassign(principalOf(req), req.params.id, req.body),
    });
    app.route({
      ...tasks.cancelTask,
      handler: async (req) => ctx.services.tasks.cancel(principalOf(req), req.params.id),
    });
    app.route({
      ...tasks.myQueue,
      handler: async (req) => ({ items: await ctx.services.tasks.myQueue(principalOf(req), req.query.limit) }),
    });
  };
