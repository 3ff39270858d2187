import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auth } from '@outdial/contracts';
import { permissionsOf } from '@outdial/domain/access';
import type { Principal } from '@outdial/engine';
import { principalOf, type RouteContext } from '../context.ts';

export const authRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    const me = (p: Principal) => ({
      id: p.userId,
      username: p.username,
      displayName: p.displayName,
      role: p.role,
      permissions: [...permissionsOf(p.role)],
      canSeeNumbers: ctx.services.pii.unmasked(p),
    });

    app.route({
      ...auth.login,
      config: { public: true },
      handler: async (req) => {
        const { token, expiresAt, principal } = await ctx.services.auth.login(req.body, {
          ip: req.ip,
          userAgent: req.headers['user-agent'],
        });
        return { token, expiresAt: expiresAt.toISOString(), user: me(principal) };
      },
    });

    app.route({
      ...auth.logout,
      handler: async (req, reply) => {
        await ctx.services.auth.logout(principalOf(req));
        return reply.status(204).send(null);
      },
    });

    app.route({ ...auth.me, handler: async (req) => me(principalOf(req)) });
  };
