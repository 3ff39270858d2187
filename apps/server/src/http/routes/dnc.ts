import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, type HttpContext } from '../context.ts';
import { DateTime, NullableDateTime, PageQuery, Uuid, paged, toLimit } from '../schemas.ts';

const ListSchema = Type.Object({
  id: Uuid,
  projectId: Type.Union([Uuid, Type.Null()]),
  name: Type.String(),
  entries: Type.Integer(),
  createdAt: DateTime,
});
const EntrySchema = Type.Object({
  phone: Type.String(),
  reason: Type.String(),
  source: Type.String(),
  expiresAt: NullableDateTime,
  createdAt: DateTime,
});

export const dncRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/dnc/lists',
      {
        schema: {
          tags: ['dnc'],
          summary: 'Do-not-call lists (organisation-wide and per project)',
          response: { 200: Type.Array(ListSchema) },
        },
      },
      async (req) => ctx.services.dnc.lists(principalOf(req)),
    );

    app.post(
      '/dnc/entries',
      {
        schema: {
          tags: ['dnc'],
          summary: "Add numbers to the organisation-wide list, or a project's list when `project` is given",
          body: Type.Object({
            phones: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100_000 }),
            project: Type.Optional(Type.String()),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
            expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
          }),
          response: {
            200: Type.Object({
              listId: Uuid,
              added: Type.Integer(),
              rejected: Type.Array(Type.Object({ input: Type.String(), code: Type.String(), message: Type.String() })),
            }),
          },
        },
      },
      async (req) => {
        const p = principalOf(req);
        return ctx.services.dnc.add(p, p.orgId, {
          phones: req.body.phones,
          projectCode: req.body.project,
          reason: req.body.reason,
          expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null,
          source: 'api',
        });
      },
    );

    app.get(
      '/dnc/lists/:id/entries',
      {
        schema: {
          tags: ['dnc'],
          summary: 'Entries of a list',
          params: Type.Object({ id: Uuid }),
          querystring: PageQuery,
          response: { 200: paged(EntrySchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.dnc.entries(principalOf(req), req.params.id, toLimit(req.query));
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );

    app.delete(
      '/dnc/lists/:id/entries/:phone',
      {
        schema: {
          tags: ['dnc'],
          summary: 'Remove a number from a list',
          params: Type.Object({ id: Uuid, phone: Type.String() }),
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await ctx.services.dnc.remove(principalOf(req), req.params.id, req.params.phone);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/dnc/check',
      {
        schema: {
          tags: ['dnc'],
          summary: 'Is this number blocked (for a project, or organisation-wide)?',
          querystring: Type.Object({ phone: Type.String({ minLength: 1 }), project: Type.Optional(Type.String()) }),
          response: {
            200: Type.Object({
              phone: Type.String(),
              blocked: Type.Boolean(),
              hits: Type.Array(
                Type.Object({
                  listId: Uuid,
                  listName: Type.String(),
                  projectId: Type.Union([Uuid, Type.Null()]),
                  reason: Type.String(),
                  expiresAt: NullableDateTime,
                }),
              ),
            }),
          },
        },
      },
      async (req) => ctx.services.dnc.check(principalOf(req), req.query.phone, req.query.project),
    );
  };
