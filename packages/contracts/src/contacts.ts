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
import { operation } from './operation.ts';

export const ContactStatus = Type.Union([
  Type.Literal('new'),
  Type.Literal('in_progress'),
  Type.Literal('callback'),
  Type.Literal('closed'),
]);

export const Contact = Type.Object({
  id: Uuid,
  projectId: Uuid,
  importId: Nullable(Uuid),
  externalId: Nullable(Type.String()),
  name: Nullable(Type.String()),
  phone: Type.String({ description: 'E.164, or masked (138****5678) unless the role may see numbers' }),
  phones: Type.Array(Type.String()),
  masked: Type.Boolean(),
  timezone: Nullable(Type.String()),
  region: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  custom: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  closeReason: Nullable(Type.String()),
  attempts: Type.Integer(),
  lastAttemptAt: NullableDateTime,
  nextAttemptAt: NullableDateTime,
  callbackAt: NullableDateTime,
  priority: Type.Integer(),
  createdAt: DateTime,
});
export type Contact = Static<typeof Contact>;

export const listContacts = operation(
  'GET',
  '/projects/:code/contacts',
  {
    operationId: 'listContacts',
    tags: ['contacts'],
    summary:
      'Contacts of a project. Agents see only those assigned to them; numbers are masked unless the role may see them (and unmasked views are audited).',
    description:
      '`q` matches a name substring. Roles that see full numbers may also search by any part of a number (audited); roles that see masked numbers may search by a complete number only, so a masked number cannot be recovered digit by digit.',
    params: ProjectCodeParams,
    querystring: pageQuery({
      status: Type.Optional(ContactStatus),
      tag: Type.Optional(Type.String({ maxLength: 100 })),
      importId: Type.Optional(Uuid),
      q: Type.Optional(Type.String({ maxLength: 100, description: 'name substring, or a number (see above)' })),
    }),
    response: { 200: paged(Contact) },
  },
  [403, 404],
);

export const getContact = operation(
  'GET',
  '/contacts/:id',
  {
    operationId: 'getContact',
    tags: ['contacts'],
    summary: 'One contact (numbers masked unless the role may see them; unmasked views are audited)',
    params: IdParams,
    response: { 200: Contact },
  },
  [403, 404],
);

export const exportContacts = operation(
  'GET',
  '/projects/:code/contacts.csv',
  {
    operationId: 'exportContacts',
    tags: ['contacts'],
    summary:
      "Export the project's contacts as CSV (admin/supervisor; audited; numbers masked unless the role may see them; cells that a spreadsheet would run as a formula are neutralised)",
    params: ProjectCodeParams,
    querystring: Type.Object(
      { status: Type.Optional(ContactStatus), tag: Type.Optional(Type.String({ maxLength: 100 })) },
      strict,
    ),
    produces: ['text/csv'],
    response: { 200: Type.String({ description: 'CSV, UTF-8 with BOM' }) },
  },
  [403, 404],
);
