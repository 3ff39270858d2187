import { Type, type Static } from 'typebox';
import { Nullable, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const SkillGroup = Type.Object({ id: Uuid, code: Type.String(), name: Type.String() });
export const Team = Type.Object({ id: Uuid, name: Type.String() });
export const SkillLevel = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 40 }), level: Type.Integer({ minimum: 1, maximum: 10 }) },
  strict,
);
export const Agent = Type.Object({
  userId: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  teamId: Nullable(Uuid),
  teamName: Nullable(Type.String()),
  extension: Nullable(Type.String()),
  skills: Type.Array(Type.Object({ code: Type.String(), level: Type.Integer() })),
});
export type SkillGroup = Static<typeof SkillGroup>;
export type Team = Static<typeof Team>;
export type Agent = Static<typeof Agent>;

export const listSkillGroups = operation('GET', '/skill-groups', {
  operationId: 'listSkillGroups',
  tags: ['organisation'],
  summary: 'Skill groups (技能组)',
  response: { 200: Type.Array(SkillGroup) },
});

export const createSkillGroup = operation(
  'POST',
  '/skill-groups',
  {
    operationId: 'createSkillGroup',
    tags: ['organisation'],
    summary: 'Create a skill group',
    body: Type.Object(
      { code: Type.String({ minLength: 1, maxLength: 40 }), name: Type.String({ minLength: 1, maxLength: 100 }) },
      strict,
    ),
    response: { 201: SkillGroup },
  },
  [403, 409],
);

export const listTeams = operation('GET', '/teams', {
  operationId: 'listTeams',
  tags: ['organisation'],
  summary: 'Teams',
  response: { 200: Type.Array(Team) },
});

export const createTeam = operation(
  'POST',
  '/teams',
  {
    operationId: 'createTeam',
    tags: ['organisation'],
    summary: 'Create a team',
    body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, strict),
    response: { 201: Team },
  },
  [403, 409],
);

export const listAgents = operation(
  'GET',
  '/agents',
  {
    operationId: 'listAgents',
    tags: ['organisation'],
    summary: 'Agents with team and skills',
    querystring: Type.Object({ skill: Type.Optional(Type.String({ maxLength: 40 })) }, strict),
    response: { 200: Type.Array(Agent) },
  },
  [403],
);

export const updateAgent = operation(
  'PATCH',
  '/agents/:userId',
  {
    operationId: 'updateAgent',
    tags: ['organisation'],
    summary: "Set an agent's team, extension and skills (with levels 1–10)",
    params: Type.Object({ userId: Uuid }, strict),
    body: Type.Object(
      {
        teamId: Type.Optional(Nullable(Uuid)),
        extension: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
        skills: Type.Optional(Type.Array(SkillLevel, { maxItems: 100 })),
      },
      strict,
    ),
    response: { 200: Agent },
  },
  [403, 404],
);
