import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { permissionsOf } from '@outdial/domain/access';
import { principalOf, type HttpContext } from '../context.ts';
import { DateTime, RoleSchema, Uuid } from '../schemas.ts';

const Me = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  permissions: Type.Array(Type.String()),
  canSeeNumbers: Type.Boolean(),
});

export const authRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/auth/login',
      {
        config: { public: true, rateLimit: { max: ctx.config.loginRateLimitPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['auth'],
          summary: 'Log in; returns a bearer token',
          security: [],
          body: Type.Object({
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          }),
          response: { 200: Type.Object({ token: Type.String(), expiresAt: DateTime, user: Me }) },
        },
      },
      async (req) => {
        const { token, expiresAt, principal } = await ctx.services.auth.login(req.body.username, req.body.password, {
          ip: req.ip,
          userAgent: req.headers['user-agent'],
        });
        return {
          token,
          expiresAt: expiresAt.toISOString(),
          user: {
            id: principal.userId,
            username: principal.username,
            displayName: principal.displayName,
            role: principal.role,
            permissions: [...permissionsOf(principal.role)],
            canSeeNumbers: ctx.config.unmaskRoles.includes(principal.role),
          },
        };
      },
    );

    app.post(
      '/auth/logout',
      { schema: { tags: ['auth'], summary: 'Revoke the current session', response: { 204: Type.Null() } } },
      async (req, reply) => {
        await ctx.services.auth.logout(principalOf(req));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/auth/me',
      { schema: { tags: ['auth'], summary: 'The logged-in user', response: { 200: Me } } },
      async (req) => {
        const p = principalOf(req);
        return {
          id: p.userId,
          username: p.username,
          displayName: p.displayName,
          role: p.role,
          permissions: [...permissionsOf(p.role)],
          canSeeNumbers: ctx.config.unmaskRoles.includes(p.role),
        };
      },
    );
  };
