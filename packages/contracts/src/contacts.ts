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
  callbackOwner: Nullable(Uuid),
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

export const Callback = Type.Object({
  contact: Contact,
  callbackAt: DateTime,
  owner: Type.Union([Uuid, Type.Null()], { description: 'the agent it belongs to; null: anyone' }),
  missed: Type.Boolean({ description: 'due more than 15 minutes ago and not yet called' }),
});

export const listCallbacks = operation(
  'GET',
  '/callbacks',
  {
    operationId: 'listCallbacks',
    tags: ['contacts'],
    summary:
      'Contacts waiting for a callback, earliest first; `missed=true`: overdue ones (agents: the callbacks they own; numbers masked by role)',
    querystring: pageQuery({
      project: Type.Optional(Type.String({ maxLength: 40 })),
      missed: Type.Optional(Type.Boolean()),
      mine: Type.Optional(Type.Boolean()),
    }),
    response: { 200: paged(Callback) },
  },
  [403, 404],
);

// ---- contacts by API (系统对接)
const CustomValues = Type.Record(
  Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
  Type.Union([Type.String({ maxLength: 65_536 }), Type.Number(), Type.Boolean(), Type.Null()]),
  { maxProperties: 200, description: "the project's custom fields (checked as an imported cell would be)" },
);
export const ContactInput = Type.Object(
  {
    phone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'any common format; normalised to E.164 like an import',
    }),
    phones: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 50 })),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
    region: Type.Optional(Type.String({ maxLength: 100 })),
    externalId: Type.Optional(Type.String({ maxLength: 100 })),
    custom: Type.Optional(CustomValues),
  },
  strict,
);
export const ContactVerdict = Type.Object({
  index: Type.Integer({ description: 'the position in the request' }),
  outcome: Type.Union([
    Type.Literal('created'),
    Type.Literal('invalid'),
    Type.Literal('duplicate_in_batch'),
    Type.Literal('duplicate_existing'),
    Type.Literal('dnc'),
  ]),
  contactId: Nullable(Uuid),
  code: Nullable(Type.String({ description: 'why not, as a file import says it: phone_invalid, required_missing, …' })),
  message: Nullable(Type.String()),
});

export const createContacts = operation(
  'POST',
  '/projects/:code/contacts/batch',
  {
    operationId: 'createContacts',
    tags: ['contacts'],
    summary:
      'Create up to 1,000 contacts, with the same normalising, validation and de-duplication (project, do-not-call) as a file import, and a verdict per row (the batch is one import, audited)',
    params: ProjectCodeParams,
    body: Type.Object({ contacts: Type.Array(ContactInput, { minItems: 1, maxItems: 1000 }) }, strict),
    response: {
      200: Type.Object({ importId: Uuid, created: Type.Integer(), verdicts: Type.Array(ContactVerdict) }),
    },
  },
  [403, 404],
);

export const createContact = operation(
  'POST',
  '/projects/:code/contacts',
  {
    operationId: 'createContact',
    tags: ['contacts'],
    summary:
      'Create one contact (as a batch of one): 201 with it, 409 if the project has the number, 400 with the verdict otherwise',
    params: ProjectCodeParams,
    body: ContactInput,
    response: { 201: Contact },
  },
  [403, 404, 409],
);

export const updateContact = operation(
  'PATCH',
  '/contacts/:id',
  {
    operationId: 'updateContact',
    tags: ['contacts'],
    summary:
      "Change a contact's name, external id, tags (all, or add/remove) and custom fields. Agents: only the contact they are talking to or wrapping up. Audited.",
    params: IdParams,
    body: Type.Object(
      {
        name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
        externalId: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
        tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 50 })),
        addTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50 })),
        removeTags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 50 })),
        custom: Type.Optional(CustomValues),
      },
      strict,
    ),
    response: { 200: Contact },
  },
  [403, 404],
);

export const getContactByExternalId = operation(
  'GET',
  '/projects/:code/contacts/by-external-id/:externalId',
  {
    operationId: 'getContactByExternalId',
    tags: ['contacts'],
    summary: "A contact by your system's id (numbers masked by role; agents: theirs only)",
    params: Type.Object(
      { code: Type.String({ minLength: 1, maxLength: 40 }), externalId: Type.String({ minLength: 1, maxLength: 100 }) },
      strict,
    ),
    response: { 200: Contact },
  },
  [403, 404],
);

// ---- a contact's history (the screen pop's "earlier attempts")
export const ContactHistory = Type.Object({
  attempts: Type.Array(
    Type.Object({
      id: Uuid,
      placedAt: DateTime,
      outcome: Nullable(Type.String({ description: 'how the call ended (null: still in progress)' })),
    }),
    { description: 'newest first' },
  ),
  dispositions: Type.Array(
    Type.Object({
      id: Uuid,
      attemptId: Nullable(Uuid),
      agentUserId: Nullable(Uuid),
      code: Type.String(),
      notes: Type.String(),
      callbackAt: NullableDateTime,
      createdAt: DateTime,
    }),
    { description: 'newest first' },
  ),
});
export type ContactHistory = Static<typeof ContactHistory>;

export const getContactHistory = operation(
  'GET',
  '/contacts/:id/history',
  {
    operationId: 'getContactHistory',
    tags: ['contacts'],
    summary:
      "A contact's earlier call attempts and dispositions, newest first (who may read the contact may read its history: agents their own contacts and the calls routed to them)",
    params: IdParams,
    response: { 200: ContactHistory },
  },
  [403, 404],
);
