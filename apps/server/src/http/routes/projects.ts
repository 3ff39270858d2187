import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, type HttpContext } from '../context.ts';
import {
  DispositionSchema,
  FieldDefSchema,
  PageQuery,
  ProjectRulesSchema,
  ProjectSchema,
  paged,
  toLimit,
} from '../schemas.ts';

const Code = Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }) });
const Editable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  defaultRegion: Type.Optional(
    Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166 region for national-format numbers; CN by default' }),
  ),
  defaultTimezone: Type.Optional(
    Type.String({ description: 'IANA time zone for contacts without one; Asia/Shanghai by default' }),
  ),
  rules: Type.Optional(ProjectRulesSchema),
  callerIds: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  fields: Type.Optional(
    Type.Array(FieldDefSchema, { description: 'Custom contact fields (replaces the whole template)' }),
  ),
  dispositions: Type.Optional(Type.Array(DispositionSchema)),
};

export const projectRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/projects',
      {
        schema: {
          tags: ['projects'],
          summary: 'Projects (专案)',
          querystring: PageQuery,
          response: { 200: paged(ProjectSchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.projects.list(principalOf(req), toLimit(req.query));
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );

    app.post(
      '/projects',
      {
        schema: {
          tags: ['projects'],
          summary: 'Create a project with its closing rules, calling windows, custom fields and dispositions',
          body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }), ...Editable }),
          response: { 201: ProjectSchema },
        },
      },
      async (req, reply) => reply.status(201).send(await ctx.services.projects.create(principalOf(req), req.body)),
    );

    app.get(
      '/projects/:code',
      {
        schema: {
          tags: ['projects'],
          summary: 'One project with its fields and dispositions',
          params: Code,
          response: { 200: ProjectSchema },
        },
      },
      async (req) => ctx.services.projects.get(principalOf(req), req.params.code),
    );

    app.patch(
      '/projects/:code',
      {
        schema: {
          tags: ['projects'],
          summary: 'Change a project (configuration without a release)',
          params: Code,
          body: Type.Object({
            ...Editable,
            name: Type.Optional(Editable.name),
            status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
          }),
          response: { 200: ProjectSchema },
        },
      },
      async (req) => ctx.services.projects.update(principalOf(req), req.params.code, req.body),
    );

    app.put(
      '/projects/:code/fields',
      {
        schema: {
          tags: ['projects'],
          summary: 'Replace the custom field template',
          params: Code,
          body: Type.Array(FieldDefSchema),
          response: { 200: ProjectSchema },
        },
      },
      async (req) => ctx.services.projects.update(principalOf(req), req.params.code, { fields: req.body }),
    );
  };
