import { Type, type Static } from 'typebox';
import { DateTime, PageQuery, paged, ProjectCodeParams, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const TimeRange = Type.Object(
  { start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }), end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }) },
  strict,
);

export const ProjectRules = Type.Object(
  {
    closing: Type.Object(
      {
        maxAttempts: Type.Integer({ minimum: 1, maximum: 1000 }),
        windowDays: Type.Number({ exclusiveMinimum: 0, maximum: 3650 }),
        closeOnSuccess: Type.Boolean(),
      },
      strict,
    ),
    callingWindows: Type.Record(Type.String({ pattern: '^[1-7]$' }), Type.Array(TimeRange, { maxItems: 48 }), {
      description: "ISO weekday 1 (Mon) … 7 (Sun) → local time ranges in the callee's time zone",
    }),
    holidays: Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), { maxItems: 3660 }),
    retryDelaysMinutes: Type.Object(
      {
        busy: Type.Number({ minimum: 0, maximum: 525_600 }),
        noAnswer: Type.Number({ minimum: 0, maximum: 525_600 }),
        machine: Type.Number({ minimum: 0, maximum: 525_600 }),
        abandoned: Type.Number({ minimum: 0, maximum: 525_600 }),
        failed: Type.Number({ minimum: 0, maximum: 525_600 }),
      },
      strict,
    ),
    dailyNumberCap: Type.Integer({ minimum: 1, maximum: 100 }),
    maxAbandonRate: Type.Number({ minimum: 0, maximum: 0.03 }),
  },
  strict,
);

export const FieldDef = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    labelZh: Type.String({ minLength: 1, maxLength: 100 }),
    labelEn: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.Union([
      Type.Literal('text'),
      Type.Literal('number'),
      Type.Literal('date'),
      Type.Literal('enum'),
      Type.Literal('boolean'),
    ]),
    required: Type.Boolean(),
    options: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 500 })),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
  },
  strict,
);
export type FieldDef = Static<typeof FieldDef>;

export const Disposition = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    labelZh: Type.String({ minLength: 1, maxLength: 100 }),
    labelEn: Type.String({ minLength: 1, maxLength: 100 }),
    success: Type.Boolean(),
    closes: Type.Boolean(),
    addsToDnc: Type.Boolean(),
    retryAfterMinutes: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 525_600 }), Type.Null()], {
        description: "try again after this many minutes instead of the outcome's delay",
      }),
    ),
    callback: Type.Optional(
      Type.Union([Type.Literal('agent'), Type.Literal('anyone'), Type.Null()], {
        description: 'books a callback (callbackAt required) owned by the agent who took the call, or by anyone',
      }),
    ),
    escalateTo: Type.Optional(
      Type.Union([Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }), Type.Null()], {
        description: "a skill group code: the contact's task moves to that queue, ahead of the others",
      }),
    ),
    requiresAnswers: Type.Optional(
      Type.Boolean({ description: 'the questionnaire must be answered to its end before this code is accepted' }),
    ),
  },
  strict,
);
export type DispositionCode = Static<typeof Disposition>;

export const Project = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  description: Type.String(),
  defaultRegion: Type.String(),
  defaultTimezone: Type.String(),
  rules: ProjectRules,
  callerIds: Type.Array(Type.String()),
  status: Type.String(),
  fields: Type.Optional(Type.Array(FieldDef)),
  dispositions: Type.Optional(Type.Array(Disposition)),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Project = Static<typeof Project>;

const editable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  defaultRegion: Type.Optional(
    Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166 region for national-format numbers; CN by default' }),
  ),
  defaultTimezone: Type.Optional(
    Type.String({ maxLength: 64, description: 'IANA time zone for contacts without one; Asia/Shanghai by default' }),
  ),
  rules: Type.Optional(ProjectRules),
  callerIds: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 1000 })),
  fields: Type.Optional(
    Type.Array(FieldDef, { maxItems: 200, description: 'Custom contact fields (replaces the whole template)' }),
  ),
  dispositions: Type.Optional(Type.Array(Disposition, { maxItems: 200 })),
};

export const CreateProjectBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 40 }), ...editable },
  strict,
);
export const UpdateProjectBody = Type.Object(
  {
    ...editable,
    name: Type.Optional(editable.name),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
  },
  strict,
);

export const listProjects = operation('GET', '/projects', {
  operationId: 'listProjects',
  tags: ['projects'],
  summary: 'Projects (专案)',
  querystring: PageQuery,
  response: { 200: paged(Project) },
});

export const createProject = operation(
  'POST',
  '/projects',
  {
    operationId: 'createProject',
    tags: ['projects'],
    summary: 'Create a project with its closing rules, calling windows, custom fields and dispositions',
    body: CreateProjectBody,
    response: { 201: Project },
  },
  [403, 409],
);

export const getProject = operation(
  'GET',
  '/projects/:code',
  {
    operationId: 'getProject',
    tags: ['projects'],
    summary: 'One project with its fields and dispositions',
    params: ProjectCodeParams,
    response: { 200: Project },
  },
  [404],
);

export const updateProject = operation(
  'PATCH',
  '/projects/:code',
  {
    operationId: 'updateProject',
    tags: ['projects'],
    summary: 'Change a project (configuration without a release); running campaigns take new rules within 10 s',
    params: ProjectCodeParams,
    body: UpdateProjectBody,
    response: { 200: Project },
  },
  [403, 404],
);

export const replaceFields = operation(
  'PUT',
  '/projects/:code/fields',
  {
    operationId: 'replaceProjectFields',
    tags: ['projects'],
    summary: 'Replace the custom field template',
    params: ProjectCodeParams,
    body: Type.Array(FieldDef, { maxItems: 200 }),
    response: { 200: Project },
  },
  [403, 404],
);
