import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { users } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

export const userRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...users.listUsers,
      handler: async (req) => {
        const { items, total } = await ctx.services.users.list(principalOf(req), {
          role: req.query.role,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...users.createUser,
      handler: async (req, reply) => {
        const p = principalOf(req);
        return reply.status(201).send(await ctx.services.users.create(p, p.orgId, req.body));
      },
    });

    app.route({
      ...users.updateUser,
      handler: async (req) => ctx.services.users.update(principalOf(req), req.params.id, req.body),
    });
  };
