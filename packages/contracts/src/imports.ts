import { Type, type Static } from 'typebox';
import {
  DateTime,
  IdParams,
  Nullable,
  NullableDateTime,
  PageQuery,
  pageQuery,
  paged,
  ProjectCodeParams,
  strict,
  Uuid,
} from './common.ts';
import { operation } from './operation.ts';

export const Import = Type.Object({
  id: Uuid,
  projectId: Uuid,
  filename: Type.String(),
  format: Nullable(Type.String()),
  encoding: Nullable(Type.String()),
  status: Type.Union([
    Type.Literal('parsing'),
    Type.Literal('merging'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) })),
  mapping: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], {
    description: 'field → column header used',
  }),
  columns: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "the file's header, in order" }),
  totalBytes: Nullable(Type.Number()),
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
export type Import = Static<typeof Import>;

export const RejectOutcome = Type.Union([
  Type.Literal('duplicate_in_file'),
  Type.Literal('duplicate_existing'),
  Type.Literal('dnc'),
  Type.Literal('invalid'),
]);
export const Reject = Type.Object({
  rowNumber: Type.Integer({ description: 'as in the file: the header is row 1' }),
  outcome: RejectOutcome,
  code: Nullable(Type.String()),
  message: Nullable(Type.String()),
  raw: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], {
    description: 'the original cells; phone cells masked unless the role may see numbers',
  }),
});
export type Reject = Static<typeof Reject>;

export const ImportEncoding = Type.Union([Type.Literal('auto'), Type.Literal('utf8'), Type.Literal('gb18030')]);
export const UPLOAD_CONTENT_TYPES = [
  'multipart/form-data',
  'text/csv',
  'application/csv',
  'text/plain',
  'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
] as const;

export const startImport = operation(
  'POST',
  '/projects/:code/imports',
  {
    operationId: 'startImport',
    tags: ['imports'],
    summary:
      'Upload a contact list (CSV in UTF-8/GBK/GB18030, or XLSX). multipart/form-data with `file` (and optional `mapping`, `encoding` fields), or the raw file as the body with ?filename=. Answers 202 at once; follow GET /imports/{id}.',
    params: ProjectCodeParams,
    querystring: Type.Object(
      {
        filename: Type.Optional(Type.String({ maxLength: 255, description: 'ends in .csv, .txt or .xlsx' })),
        mapping: Type.Optional(
          Type.String({
            maxLength: 10_000,
            description:
              'JSON {"field": "column header"}: phone, name, phones, tags, timezone, region, external_id or a custom field key',
          }),
        ),
        encoding: Type.Optional(ImportEncoding),
      },
      strict,
    ),
    consumes: [...UPLOAD_CONTENT_TYPES],
    response: { 202: Import },
  },
  [403, 404, 413, 415],
);

export const ImportPreview = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
  encoding: Type.String({ description: 'as detected (ascii: no byte above 127 in what was read), or xlsx' }),
  columns: Type.Array(Type.String(), { description: "the file's header, in order" }),
  mapping: Type.Record(Type.String(), Type.String(), {
    description: 'field → column: the mapping given, completed by the suggestions from the headers',
  }),
  unmappedColumns: Type.Array(Type.String()),
  fields: Type.Array(
    Type.Object({
      key: Type.String(),
      labelZh: Type.Optional(Type.String()),
      labelEn: Type.Optional(Type.String()),
      custom: Type.Boolean(),
    }),
    { description: "the fields a column can be mapped to (fixed ones and the project's custom fields)" },
  ),
  rows: Type.Array(
    Type.Object({
      rowNumber: Type.Integer(),
      outcome: Type.Union([Type.Literal('ok'), Type.Literal('invalid'), Type.Literal('duplicate_in_file')]),
      code: Nullable(Type.String()),
      message: Nullable(Type.String()),
      name: Nullable(Type.String()),
      phone: Nullable(
        Type.String({ description: 'E.164 as it would be imported, masked unless the role may see numbers' }),
      ),
      tags: Type.Array(Type.String()),
      custom: Type.Record(Type.String(), Type.Unknown()),
    }),
    { description: "the first rows' verdicts, as the import would give them (before the project and DNC checks)" },
  ),
});
export type ImportPreview = Static<typeof ImportPreview>;

export const previewImport = operation(
  'POST',
  '/projects/:code/imports/preview',
  {
    operationId: 'previewImport',
    tags: ['imports'],
    summary:
      "Read a contact list's header and first rows without importing it (the import wizard's preview): columns, the suggested mapping, each row's verdict. Same upload forms, limits and role as an import (a role that may see full numbers); nothing is kept.",
    params: ProjectCodeParams,
    querystring: Type.Object(
      {
        filename: Type.Optional(Type.String({ maxLength: 255, description: 'ends in .csv, .txt or .xlsx' })),
        mapping: Type.Optional(Type.String({ maxLength: 10_000, description: 'JSON {"field": "column header"}' })),
        encoding: Type.Optional(ImportEncoding),
        rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
      },
      strict,
    ),
    consumes: [...UPLOAD_CONTENT_TYPES],
    response: { 200: ImportPreview },
  },
  [403, 404, 413, 415],
);

export const listImports = operation(
  'GET',
  '/projects/:code/imports',
  {
    operationId: 'listImports',
    tags: ['imports'],
    summary: 'Imports of a project, newest first',
    params: ProjectCodeParams,
    querystring: PageQuery,
    response: { 200: paged(Import) },
  },
  [403, 404],
);

export const getImport = operation(
  'GET',
  '/imports/:id',
  {
    operationId: 'getImport',
    tags: ['imports'],
    summary: 'Status, progress and counts of an import',
    params: IdParams,
    response: { 200: Import },
  },
  [403, 404],
);

export const listRejects = operation(
  'GET',
  '/imports/:id/rejects',
  {
    operationId: 'listImportRejects',
    tags: ['imports'],
    summary:
      'Rows that were not imported, each with its row number and reason (audited when phone cells are shown in full)',
    params: IdParams,
    querystring: pageQuery({ outcome: Type.Optional(RejectOutcome) }),
    response: { 200: paged(Reject) },
  },
  [403, 404],
);

export const exportRejects = operation(
  'GET',
  '/imports/:id/rejects.csv',
  {
    operationId: 'exportImportRejects',
    tags: ['imports'],
    summary:
      'Download the rejected rows as CSV (UTF-8 with BOM; opens in Excel; formula-like cells neutralised). Audited.',
    params: IdParams,
    produces: ['text/csv'],
    response: { 200: Type.String({ description: 'CSV, UTF-8 with BOM' }) },
  },
  [403, 404],
);
