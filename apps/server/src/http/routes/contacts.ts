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
      ...contacts.getContactHistory,
      handler: async (req) => ctx.services.contacts.history(principalOf(req), req.params.id),
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

    app.route({
      ...contacts.listCallbacks,
      handler: async (req) => {
        const r = await ctx.services.contacts.callbacks(
          principalOf(req),
          { projectCode: req.query.project, missed: req.query.missed, mine: req.query.mine, ...toLimit(req.query) },
          { ip: req.ip },
        );
        return { ...r, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...contacts.createContacts,
      handler: async (req) => ctx.services.contactsApi.create(principalOf(req), req.params.code, req.body.contacts),
    });

    app.route({
      ...contacts.createContact,
      handler: async (req, reply) =>
        reply
          .status(201)
          .send(await ctx.services.contactsApi.createOne(principalOf(req), req.params.code, req.body, { ip: req.ip })),
    });

    app.route({
      ...contacts.updateContact,
      handler: async (req) =>
        ctx.services.contactsApi.update(principalOf(req), req.params.id, req.body, { ip: req.ip }),
    });

    app.route({
      ...contacts.getContactByExternalId,
      handler: async (req) =>
        ctx.services.contactsApi.byExternalId(principalOf(req), req.params.code, req.params.externalId, { ip: req.ip }),
    });
  };
