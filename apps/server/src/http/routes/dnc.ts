import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { dnc } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

export const dncRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({ ...dnc.listDncLists, handler: async (req) => ctx.services.dnc.lists(principalOf(req)) });

    app.route({
      ...dnc.addDncEntries,
      handler: async (req) => {
        const p = principalOf(req);
        return ctx.services.dnc.add(p, p.orgId, {
          phones: req.body.phones,
          projectCode: req.body.project,
          reason: req.body.reason,
          expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null,
          source: 'api',
        });
      },
    });

    app.route({
      ...dnc.listDncEntries,
      handler: async (req) => {
        const { items, total } = await ctx.services.dnc.entries(principalOf(req), req.params.id, toLimit(req.query), {
          ip: req.ip,
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...dnc.removeDncEntry,
      handler: async (req, reply) => {
        await ctx.services.dnc.remove(principalOf(req), req.params.id, req.params.phone);
        return reply.status(204).send(null);
      },
    });

    app.route({
      ...dnc.checkDnc,
      handler: async (req) =>
        ctx.services.dnc.check(principalOf(req), req.query.phone, req.query.project, { ip: req.ip }),
    });
  };
