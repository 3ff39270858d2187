import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { contacts } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';
import { sendCsv } from '../csv.ts';

export const contactRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...contacts.listContacts,
      handler: async (req) => {
        const { status, tag, importId, q } = req.query;
        const { items, total } = await ctx.services.contacts.list(
          principalOf(req),
          req.params.code,
          { status, tag, importId, q, ...toLimit(req.query) },
          { ip: req.ip },
        );
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...contacts.getContact,
      handler: async (req) => ctx.services.contacts.get(principalOf(req), req.params.id, { ip: req.ip }),
    });

    app.route({
      ...contacts.exportContacts,
      handler: async (req, reply) => {
        const gen = ctx.services.contacts.exportCsv(
          principalOf(req),
          req.params.code,
          { status: req.query.status, tag: req.query.tag },
          { ip: req.ip },
        );
        return sendCsv(reply, gen, `${req.params.code}-contacts.csv`);
      },
    });
  };
