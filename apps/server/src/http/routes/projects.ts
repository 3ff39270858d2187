import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { projects } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

export const projectRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...projects.listProjects,
      handler: async (req) => {
        const { items, total } = await ctx.services.projects.list(principalOf(req), toLimit(req.query));
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...projects.createProject,
      handler: async (req, reply) =>
        reply.status(201).send(await ctx.services.projects.create(principalOf(req), req.body)),
    });

    app.route({
      ...projects.getProject,
      handler: async (req) => ctx.services.projects.get(principalOf(req), req.params.code),
    });

    app.route({
      ...projects.updateProject,
      handler: async (req) => ctx.services.projects.update(principalOf(req), req.params.code, req.body),
    });

    app.route({
      ...projects.replaceFields,
      handler: async (req) => ctx.services.projects.update(principalOf(req), req.params.code, { fields: req.body }),
    });
  };
