import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, type HttpContext } from '../context.ts';
import { pageQuery, RoleSchema, UserSchema, Uuid, paged, toLimit } from '../schemas.ts';

export const userRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/users',
      {
        schema: {
          tags: ['users'],
          summary: 'Users of the organisation (admin)',
          querystring: pageQuery({ role: Type.Optional(RoleSchema) }),
          response: { 200: paged(UserSchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.users.list(principalOf(req), {
          role: req.query.role,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );

    app.post(
      '/users',
      {
        schema: {
          tags: ['users'],
          summary: 'Create a user (admin)',
          body: Type.Object({
            username: Type.String(),
            displayName: Type.Optional(Type.String({ maxLength: 100 })),
            role: RoleSchema,
            password: Type.String({ minLength: 8, maxLength: 1024 }),
          }),
          response: { 201: UserSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        return reply.status(201).send(await ctx.services.users.create(p, p.orgId, req.body));
      },
    );

    app.patch(
      '/users/:id',
      {
        schema: {
          tags: ['users'],
          summary: 'Change a user: name, role, disable, password (ends their sessions)',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({
            displayName: Type.Optional(Type.String({ maxLength: 100 })),
            role: Type.Optional(RoleSchema),
            disabled: Type.Optional(Type.Boolean()),
            password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
          }),
          response: { 200: UserSchema },
        },
      },
      async (req) => ctx.services.users.update(principalOf(req), req.params.id, req.body),
    );
  };
