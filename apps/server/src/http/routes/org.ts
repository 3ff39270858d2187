import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { org } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';

export const orgRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({ ...org.listSkillGroups, handler: async (req) => ctx.services.org.skillGroups(principalOf(req)) });
    app.route({
      ...org.createSkillGroup,
      handler: async (req, reply) =>
        reply.status(201).send(await ctx.services.org.createSkillGroup(principalOf(req), req.body.code, req.body.name)),
    });
    app.route({ ...org.listTeams, handler: async (req) => ctx.services.org.teams(principalOf(req)) });
    app.route({
      ...org.createTeam,
      handler: async (req, reply) =>
        reply.status(201).send(await ctx.services.org.createTeam(principalOf(req), req.body.name)),
    });
    app.route({
      ...org.listAgents,
      handler: async (req) => ctx.services.org.agents(principalOf(req), req.query.skill),
    });
    app.route({
      ...org.updateAgent,
      handler: async (req) => ctx.services.org.setAgent(principalOf(req), req.params.userId, req.body),
    });
  };
