import { Type, type Static } from 'typebox';
import { DateTime, Nullable, NullableDateTime, pageQuery, paged, ProjectCodeParams, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const Channel = Type.Union([Type.Literal('agent_call'), Type.Literal('ivr_call'), Type.Literal('sms')]);
export const TaskStatus = Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('cancelled')]);
export const Task = Type.Object({
  id: Uuid,
  projectId: Uuid,
  contactId: Uuid,
  channel: Channel,
  assigneeUserId: Nullable(Uuid),
  skillGroupId: Nullable(Uuid),
  status: Type.String(),
  priority: Type.Integer(),
  dueAt: NullableDateTime,
  createdAt: DateTime,
});
export type Task = Static<typeof Task>;

export const AssignTasksBody = Type.Object(
  {
    channel: Type.Optional(Channel),
    strategy: Type.Union([Type.Literal('even'), Type.Literal('manual'), Type.Literal('queue')]),
    skill: Type.Optional(Type.String({ maxLength: 40 })),
    agentUserId: Type.Optional(Uuid),
    tag: Type.Optional(Type.String({ maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000 }),
  },
  strict,
);
export const assignTasks = operation(
  'POST',
  '/projects/:code/tasks/assign',
  {
    operationId: 'assignTasks',
    tags: ['tasks'],
    summary:
      'Put open contacts into a channel and onto agents: even split by workload (optionally by skill), all to one agent, or to a skill queue',
    params: ProjectCodeParams,
    body: AssignTasksBody,
    response: {
      200: Type.Object({ created: Type.Integer(), perAgent: Type.Record(Type.String(), Type.Integer()) }),
    },
  },
  [403, 404],
);

export const listTasks = operation(
  'GET',
  '/tasks',
  {
    operationId: 'listTasks',
    tags: ['tasks'],
    summary: 'Tasks; agents always get only their own',
    querystring: pageQuery({
      project: Type.Optional(Type.String({ maxLength: 40 })),
      mine: Type.Optional(Type.Boolean()),
      status: Type.Optional(TaskStatus),
    }),
    response: { 200: paged(Task) },
  },
  [403, 404],
);
