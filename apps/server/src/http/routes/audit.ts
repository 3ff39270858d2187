import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { audit } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

export const auditRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...audit.listAudit,
      handler: async (req) => {
        const p = principalOf(req);
        const { items, total } = await ctx.services.audit.list(p, { action: req.query.action, ...toLimit(req.query) });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });
  };
