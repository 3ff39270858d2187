import { Type, type Static } from '@fastify/type-provider-typebox';

/** Schemas shared by several routes. Every route declares its own params/query/body too. */

export const ErrorSchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }) },
  { $id: 'Error', description: 'Every error has this shape; `code` is stable, `message` is for people.' },
);

const pageProps = {
  page: Type.Integer({ minimum: 1, default: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
};
export const PageQuery = Type.Object(pageProps);
/** Page parameters plus a route's own filters. */
export const pageQuery = <P extends Record<string, Parameters<typeof Type.Optional>[0]>>(extra: P) =>
  Type.Object({ ...pageProps, ...extra });
export type PageQueryT = Static<typeof PageQuery>;

export const paged = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ items: Type.Array(item), page: Type.Integer(), pageSize: Type.Integer(), total: Type.Integer() });

export const toLimit = (q: { page: number; pageSize: number }) => ({
  limit: q.pageSize,
  offset: (q.page - 1) * q.pageSize,
});

export const Uuid = Type.String({ format: 'uuid' });
// Handlers return Date objects; the serializer writes them as ISO 8601 strings.
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
export const RoleSchema = Type.Union([
  Type.Literal('admin'),
  Type.Literal('supervisor'),
  Type.Literal('qa'),
  Type.Literal('agent'),
]);

export const TimeRange = Type.Object({
  start: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
  end: Type.String({ pattern: '^\\d{2}:\\d{2}$' }),
});

export const ProjectRulesSchema = Type.Object({
  closing: Type.Object({
    maxAttempts: Type.Integer({ minimum: 1 }),
    windowDays: Type.Number({ exclusiveMinimum: 0 }),
    closeOnSuccess: Type.Boolean(),
  }),
  callingWindows: Type.Record(Type.String({ pattern: '^[1-7]$' }), Type.Array(TimeRange), {
    description: "ISO weekday 1 (Mon) … 7 (Sun) → local time ranges in the callee's time zone",
  }),
  holidays: Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
  retryDelaysMinutes: Type.Object({
    busy: Type.Number({ minimum: 0 }),
    noAnswer: Type.Number({ minimum: 0 }),
    machine: Type.Number({ minimum: 0 }),
    abandoned: Type.Number({ minimum: 0 }),
    failed: Type.Number({ minimum: 0 }),
  }),
  dailyNumberCap: Type.Integer({ minimum: 1 }),
  maxAbandonRate: Type.Number({ minimum: 0, maximum: 0.03 }),
});

export const FieldDefSchema = Type.Object({
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
  options: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
});

export const DispositionSchema = Type.Object({
  code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
  labelZh: Type.String({ minLength: 1 }),
  labelEn: Type.String({ minLength: 1 }),
  success: Type.Boolean(),
  closes: Type.Boolean(),
  addsToDnc: Type.Boolean(),
});

export const ProjectSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  description: Type.String(),
  defaultRegion: Type.String(),
  defaultTimezone: Type.String(),
  rules: ProjectRulesSchema,
  callerIds: Type.Array(Type.String()),
  status: Type.String(),
  fields: Type.Optional(Type.Array(FieldDefSchema)),
  dispositions: Type.Optional(Type.Array(DispositionSchema)),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const UserSchema = Type.Object({
  id: Uuid,
  username: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  disabled: Type.Boolean(),
  createdAt: DateTime,
});

export const ContactSchema = Type.Object({
  id: Uuid,
  projectId: Uuid,
  importId: Type.Union([Uuid, Type.Null()]),
  externalId: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  phone: Type.String({ description: 'E.164, or masked (138****5678) unless the role may see numbers' }),
  phones: Type.Array(Type.String()),
  masked: Type.Boolean(),
  timezone: Type.Union([Type.String(), Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  custom: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String(),
  closeReason: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  lastAttemptAt: NullableDateTime,
  nextAttemptAt: NullableDateTime,
  callbackAt: NullableDateTime,
  priority: Type.Integer(),
  createdAt: DateTime,
});

export const ImportSchema = Type.Object({
  id: Uuid,
  projectId: Uuid,
  filename: Type.String(),
  format: Type.Union([Type.String(), Type.Null()]),
  encoding: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([
    Type.Literal('parsing'),
    Type.Literal('merging'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  error: Type.Union([
    Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
    Type.Null(),
  ]),
  mapping: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], {
    description: 'field → column header used',
  }),
  columns: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "the file's header, in order" }),
  totalBytes: Type.Union([Type.Number(), Type.Null()]),
  bytesRead: Type.Number(),
  rowsRead: Type.Integer(),
  progress: Type.Number({ description: '0…1, share of the file read (1 while merging)' }),
  imported: Type.Integer({ description: 'while parsing: rows accepted so far; once completed: contacts created' }),
  duplicateInFile: Type.Integer(),
  duplicateExisting: Type.Integer(),
  dnc: Type.Integer(),
  invalid: Type.Integer(),
  createdAt: DateTime,
  finishedAt: NullableDateTime,
});
