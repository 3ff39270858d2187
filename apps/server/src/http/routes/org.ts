import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf, type HttpContext } from '../context.ts';
import { Uuid } from '../schemas.ts';

const Skill = Type.Object({ id: Uuid, code: Type.String(), name: Type.String() });
const Team = Type.Object({ id: Uuid, name: Type.String() });
const Agent = Type.Object({
  userId: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  teamId: Type.Union([Uuid, Type.Null()]),
  teamName: Type.Union([Type.String(), Type.Null()]),
  extension: Type.Union([Type.String(), Type.Null()]),
  skills: Type.Array(Type.Object({ code: Type.String(), level: Type.Integer() })),
});

export const orgRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/skill-groups',
      { schema: { tags: ['organisation'], summary: 'Skill groups (技能组)', response: { 200: Type.Array(Skill) } } },
      async (req) => ctx.services.org.skillGroups(principalOf(req)),
    );
    app.post(
      '/skill-groups',
      {
        schema: {
          tags: ['organisation'],
          summary: 'Create a skill group',
          body: Type.Object({ code: Type.String(), name: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 201: Skill },
        },
      },
      async (req, reply) =>
        reply.status(201).send(await ctx.services.org.createSkillGroup(principalOf(req), req.body.code, req.body.name)),
    );
    app.get(
      '/teams',
      { schema: { tags: ['organisation'], summary: 'Teams', response: { 200: Type.Array(Team) } } },
      async (req) => ctx.services.org.teams(principalOf(req)),
    );
    app.post(
      '/teams',
      {
        schema: {
          tags: ['organisation'],
          summary: 'Create a team',
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 201: Team },
        },
      },
      async (req, reply) => reply.status(201).send(await ctx.services.org.createTeam(principalOf(req), req.body.name)),
    );
    app.get(
      '/agents',
      {
        schema: {
          tags: ['organisation'],
          summary: 'Agents with team and skills',
          querystring: Type.Object({ skill: Type.Optional(Type.String()) }),
          response: { 200: Type.Array(Agent) },
        },
      },
      async (req) => ctx.services.org.agents(principalOf(req), req.query.skill),
    );
    app.patch(
      '/agents/:userId',
      {
        schema: {
          tags: ['organisation'],
          summary: "Set an agent's team, extension and skills (with levels 1–10)",
          params: Type.Object({ userId: Uuid }),
          body: Type.Object({
            teamId: Type.Optional(Type.Union([Uuid, Type.Null()])),
            extension: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
            skills: Type.Optional(
              Type.Array(Type.Object({ code: Type.String(), level: Type.Integer({ minimum: 1, maximum: 10 }) })),
            ),
          }),
          response: { 200: Agent },
        },
      },
      async (req) => ctx.services.org.setAgent(principalOf(req), req.params.userId, req.body),
    );
  };
