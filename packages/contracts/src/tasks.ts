import { Type, type Static } from 'typebox';
import {
  DateTime,
  IdParams,
  Nullable,
  NullableDateTime,
  pageQuery,
  paged,
  ProjectCodeParams,
  strict,
  Uuid,
} from './common.ts';
import { Contact } from './contacts.ts';
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
    strategy: Type.Union([Type.Literal('even'), Type.Literal('manual'), Type.Literal('queue'), Type.Literal('rules')]),
    rules: Type.Optional(
      Type.Array(
        Type.Object(
          {
            list: Type.Optional(Uuid),
            tag: Type.Optional(Type.String({ maxLength: 100 })),
            skill: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
            to: Type.Union([Type.Literal('queue'), Type.Literal('agents')]),
            minLevel: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
          },
          strict,
        ),
        {
          maxItems: 50,
          description:
            'strategy rules: first match wins (a list or tag → a skill group queue, or its agents of at least a level); the rest evenly',
        },
      ),
    ),
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

export const reassignTask = operation(
  'POST',
  '/tasks/:id/reassign',
  {
    operationId: 'reassignTask',
    tags: ['tasks'],
    summary: "Move an open task to an agent, or a skill group's queue, or neither (the campaign's) (audited)",
    params: IdParams,
    body: Type.Object(
      { agentUserId: Type.Optional(Uuid), skill: Type.Optional(Type.String({ maxLength: 40 })) },
      strict,
    ),
    response: { 200: Task },
  },
  [403, 404, 409],
);

export const cancelTask = operation(
  'POST',
  '/tasks/:id/cancel',
  {
    operationId: 'cancelTask',
    tags: ['tasks'],
    summary: 'Cancel an open task: its contact follows the campaign again (audited)',
    params: IdParams,
    response: { 200: Task },
  },
  [403, 404, 409],
);

export const myQueue = operation(
  'GET',
  '/me/queue',
  {
    operationId: 'myQueue',
    tags: ['tasks'],
    summary:
      'Your own queue, to dial yourself (POST /dial): the callbacks you own, due first, then the contacts of your open tasks (numbers masked by role)',
    querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) }, strict),
    response: {
      200: Type.Object({
        items: Type.Array(
          Type.Object({ kind: Type.Union([Type.Literal('callback'), Type.Literal('task')]), contact: Contact }),
        ),
      }),
    },
  },
  [403],
);
