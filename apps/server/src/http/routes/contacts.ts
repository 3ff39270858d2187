import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound } from '@outdial/engine';
import { principalOf, type HttpContext } from '../context.ts';
import { ContactSchema, pageQuery, Uuid, paged, toLimit } from '../schemas.ts';

const Status = Type.Union([
  Type.Literal('new'),
  Type.Literal('in_progress'),
  Type.Literal('callback'),
  Type.Literal('closed'),
]);

export const contactRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/projects/:code/contacts',
      {
        schema: {
          tags: ['contacts'],
          summary:
            'Contacts of a project. Agents see only those assigned to them; numbers are masked unless the role may see them (and unmasked views are audited).',
          params: Type.Object({ code: Type.String() }),
          querystring: pageQuery({
            status: Type.Optional(Status),
            tag: Type.Optional(Type.String()),
            importId: Type.Optional(Uuid),
            q: Type.Optional(
              Type.String({ maxLength: 100, description: 'name substring, or the last digits of a number' }),
            ),
          }),
          response: { 200: paged(ContactSchema) },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const project = await ctx.repos.projects.getByCode(p.orgId, req.params.code);
        if (!project) throw notFound(`project "${req.params.code}"`);
        const { items, total } = await ctx.services.contacts.list(
          p,
          {
            projectId: project.id,
            status: req.query.status,
            tag: req.query.tag,
            importId: req.query.importId,
            q: req.query.q,
            ...toLimit(req.query),
          },
          { ip: req.ip },
        );
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );

    app.get(
      '/contacts/:id',
      {
        schema: {
          tags: ['contacts'],
          summary: 'One contact',
          params: Type.Object({ id: Uuid }),
          response: { 200: ContactSchema },
        },
      },
      async (req) => ctx.services.contacts.get(principalOf(req), req.params.id, { ip: req.ip }),
    );

    app.get(
      '/projects/:code/contacts.csv',
      {
        schema: {
          tags: ['contacts'],
          summary:
            "Export the project's contacts as CSV (admin/supervisor; audited; numbers masked unless the role may see them)",
          params: Type.Object({ code: Type.String() }),
          querystring: Type.Object({ status: Type.Optional(Status), tag: Type.Optional(Type.String()) }),
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const project = await ctx.repos.projects.getByCode(p.orgId, req.params.code);
        if (!project) throw notFound(`project "${req.params.code}"`);
        const gen = ctx.services.contacts.exportCsv(
          p,
          project,
          { status: req.query.status, tag: req.query.tag },
          { ip: req.ip },
        );
        const first = await gen.next(); // permission check and audit entry before any byte is sent
        const body = Readable.from(
          (async function* () {
            if (!first.done) yield first.value;
            yield* gen;
          })(),
        );
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${project.code}-contacts.csv"`)
          .send(body);
      },
    );
  };
