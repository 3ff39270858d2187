import { Type, type Static } from 'typebox';
import { DateTime, IdParams, Nullable, NullableDateTime, PageQuery, paged, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';

export const DncList = Type.Object({
  id: Uuid,
  projectId: Nullable(Uuid),
  name: Type.String(),
  entries: Type.Integer(),
  createdAt: DateTime,
});
export type DncList = Static<typeof DncList>;

export const DncEntry = Type.Object({
  phone: Type.String({ description: 'E.164, or masked unless the role may see numbers' }),
  masked: Type.Boolean(),
  reason: Type.String(),
  source: Type.String(),
  expiresAt: NullableDateTime,
  createdAt: DateTime,
});
export type DncEntry = Static<typeof DncEntry>;

export const listDncLists = operation('GET', '/dnc/lists', {
  operationId: 'listDncLists',
  tags: ['dnc'],
  summary: 'Do-not-call lists (organisation-wide and per project)',
  response: { 200: Type.Array(DncList) },
});

export const AddDncBody = Type.Object(
  {
    phones: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100_000 }),
    project: Type.Optional(Type.String({ maxLength: 40 })),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
  },
  strict,
);
export const addDncEntries = operation(
  'POST',
  '/dnc/entries',
  {
    operationId: 'addDncEntries',
    tags: ['dnc'],
    summary: "Add numbers to the organisation-wide list, or a project's list when `project` is given",
    body: AddDncBody,
    response: {
      200: Type.Object({
        listId: Uuid,
        added: Type.Integer(),
        rejected: Type.Array(Type.Object({ input: Type.String(), code: Type.String(), message: Type.String() }), {
          description: 'the first 1,000 inputs that are not phone numbers, with the reason',
        }),
        rejectedTotal: Type.Integer({ description: 'how many inputs were rejected in all' }),
      }),
    },
  },
  [403, 404],
);

export const listDncEntries = operation(
  'GET',
  '/dnc/lists/:id/entries',
  {
    operationId: 'listDncEntries',
    tags: ['dnc'],
    summary: 'Entries of a list (numbers masked unless the role may see them; unmasked views are audited)',
    params: IdParams,
    querystring: PageQuery,
    response: { 200: paged(DncEntry) },
  },
  [403, 404],
);

export const removeDncEntry = operation(
  'DELETE',
  '/dnc/lists/:id/entries/:phone',
  {
    operationId: 'removeDncEntry',
    tags: ['dnc'],
    summary: 'Remove a number from a list (audited)',
    params: Type.Object({ id: Uuid, phone: Type.String({ minLength: 1, maxLength: 64 }) }, strict),
    response: { 204: Type.Null({ description: 'removed' }) },
  },
  [403, 404],
);

export const DncCheck = Type.Object({
  phone: Type.String(),
  blocked: Type.Boolean(),
  hits: Type.Array(
    Type.Object({
      listId: Uuid,
      listName: Type.String(),
      projectId: Nullable(Uuid),
      reason: Type.String(),
      expiresAt: NullableDateTime,
    }),
  ),
});
export const checkDnc = operation(
  'GET',
  '/dnc/check',
  {
    operationId: 'checkDnc',
    tags: ['dnc'],
    summary: 'Is this number blocked (for a project, or organisation-wide)?',
    querystring: Type.Object(
      { phone: Type.String({ minLength: 1, maxLength: 64 }), project: Type.Optional(Type.String({ maxLength: 40 })) },
      strict,
    ),
    response: { 200: DncCheck },
  },
  [403, 404],
);
