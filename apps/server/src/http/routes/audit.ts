import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertCan } from '@outdial/engine';
import { principalOf, type HttpContext } from '../context.ts';
import { DateTime, pageQuery, paged, toLimit } from '../schemas.ts';

const Entry = Type.Object({
  id: Type.Integer(),
  actorUserId: Type.Union([Type.String(), Type.Null()]),
  actorUsername: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  subjectType: Type.Union([Type.String(), Type.Null()]),
  subjectId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Unknown(),
  ip: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
});

export const auditRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'The append-only audit log (admin): logins, unmasked views, exports, configuration changes',
          querystring: pageQuery({ action: Type.Optional(Type.String()) }),
          response: { 200: paged(Entry) },
        },
      },
      async (req) => {
        const p = principalOf(req);
        assertCan(p, 'audit:read');
        const { items, total } = await ctx.repos.audit.list(p.orgId, {
          action: req.query.action,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );
  };
