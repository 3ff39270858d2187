import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ImportRow } from '@outdial/db';
import { invalid } from '@outdial/engine';
import { principalOf, type HttpContext } from '../context.ts';
import { ImportSchema, PageQuery, pageQuery, Uuid, paged, toLimit } from '../schemas.ts';

export function presentImport(i: ImportRow) {
  const progress =
    i.status === 'completed' || i.status === 'merging' ? 1 : i.totalBytes ? Math.min(1, i.bytesRead / i.totalBytes) : 0;
  return { ...i, progress };
}

const Outcome = Type.Union([
  Type.Literal('duplicate_in_file'),
  Type.Literal('duplicate_existing'),
  Type.Literal('dnc'),
  Type.Literal('invalid'),
]);
const RejectSchema = Type.Object({
  rowNumber: Type.Integer({ description: 'as in the file: the header is row 1' }),
  outcome: Outcome,
  code: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  raw: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
});

function parseMapping(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === '') return undefined;
  let m: unknown = v;
  if (typeof v === 'string') {
    try {
      m = JSON.parse(v);
    } catch {
      throw invalid('mapping must be a JSON object {"field": "column header"}', { field: 'mapping' });
    }
  }
  if (
    typeof m !== 'object' ||
    m === null ||
    Array.isArray(m) ||
    !Object.values(m).every((x) => typeof x === 'string')
  ) {
    throw invalid('mapping must be a JSON object {"field": "column header"}', { field: 'mapping' });
  }
  return m as Record<string, string>;
}

const RAW_TYPES = [
  'text/csv',
  'application/csv',
  'text/plain',
  'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];

export const importRoutes =
  (ctx: HttpContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Raw uploads (curl --data-binary) arrive as a stream, never buffered whole.
    app.addContentTypeParser(RAW_TYPES, (_req, payload, done) => done(null, payload));

    app.post(
      '/projects/:code/imports',
      {
        schema: {
          tags: ['imports'],
          summary:
            'Upload a contact list (CSV in UTF-8/GBK/GB18030, or XLSX). multipart/form-data with `file` (and optional `mapping`, `encoding` fields), or the raw file as the body with ?filename=. Answers 202 at once; follow GET /imports/{id}.',
          params: Type.Object({ code: Type.String() }),
          querystring: Type.Object({
            filename: Type.Optional(Type.String({ maxLength: 255 })),
            mapping: Type.Optional(
              Type.String({
                description:
                  'JSON {"field": "column header"}: phone, name, phones, tags, timezone, region, external_id or a custom field key',
              }),
            ),
            encoding: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('utf8'), Type.Literal('gb18030')])),
          }),
          response: { 202: ImportSchema },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const dir = join(ctx.config.dataDir, 'uploads');
        await mkdir(dir, { recursive: true });
        const path = join(dir, randomUUID());
        let filename = req.query.filename;
        let mapping = parseMapping(req.query.mapping);
        let encoding = req.query.encoding;
        try {
          if (req.isMultipart()) {
            let got = false;
            for await (const part of req.parts()) {
              if (part.type === 'file') {
                if (got) throw invalid('send one file per import');
                got = true;
                filename ??= part.filename;
                await pipeline(part.file, createWriteStream(path));
                if (part.file.truncated) throw invalid(`the file is larger than ${ctx.config.maxUploadMb} MB`);
              } else if (part.fieldname === 'mapping') mapping = parseMapping(part.value);
              else if (
                part.fieldname === 'encoding' &&
                typeof part.value === 'string' &&
                ['auto', 'utf8', 'gb18030'].includes(part.value)
              )
                encoding = part.value as 'auto' | 'utf8' | 'gb18030';
              else if (part.fieldname === 'filename' && typeof part.value === 'string') filename = part.value;
            }
            if (!got) throw invalid('no file in the upload (multipart field "file")');
          } else if (req.body instanceof Readable) {
            await pipeline(req.body, createWriteStream(path));
          } else {
            throw invalid(`send the file as multipart/form-data or with Content-Type ${RAW_TYPES.join(', ')}`);
          }
          if (!filename) throw invalid('name the file (?filename=list.csv) so its format is known');
        } catch (err) {
          // The upload failed (that error is the answer); a spool file never written is already gone.
          await unlink(path).catch((e: unknown) => req.log.warn({ err: e, path }, 'removing a failed upload failed'));
          throw err;
        }
        const started = await ctx.services.imports.start(p, {
          projectCode: req.params.code,
          path,
          filename,
          mapping,
          encoding,
          removeFileAfter: true,
        });
        ctx.background.add(started.done);
        void started.done.finally(() => ctx.background.delete(started.done));
        return reply.status(202).send(presentImport(started.import));
      },
    );

    app.get(
      '/projects/:code/imports',
      {
        schema: {
          tags: ['imports'],
          summary: 'Imports of a project, newest first',
          params: Type.Object({ code: Type.String() }),
          querystring: PageQuery,
          response: { 200: paged(ImportSchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.imports.list(principalOf(req), req.params.code, toLimit(req.query));
        return { items: items.map(presentImport), total, page: req.query.page, pageSize: req.query.pageSize };
      },
    );

    app.get(
      '/imports/:id',
      {
        schema: {
          tags: ['imports'],
          summary: 'Status, progress and counts of an import',
          params: Type.Object({ id: Uuid }),
          response: { 200: ImportSchema },
        },
      },
      async (req) => presentImport(await ctx.services.imports.get(principalOf(req), req.params.id)),
    );

    app.get(
      '/imports/:id/rejects',
      {
        schema: {
          tags: ['imports'],
          summary: 'Rows that were not imported, each with its row number and reason',
          params: Type.Object({ id: Uuid }),
          querystring: pageQuery({ outcome: Type.Optional(Outcome) }),
          response: { 200: paged(RejectSchema) },
        },
      },
      async (req) => {
        const { items, total } = await ctx.services.imports.rejects(principalOf(req), req.params.id, {
          outcome: req.query.outcome,
          ...toLimit(req.query),
        });
        return {
          items: items.map((r) => ({
            rowNumber: r.rowNumber,
            outcome: r.outcome,
            code: r.code,
            message: r.message,
            raw: r.raw,
          })),
          total,
          page: req.query.page,
          pageSize: req.query.pageSize,
        };
      },
    );

    app.get(
      '/imports/:id/rejects.csv',
      {
        schema: {
          tags: ['imports'],
          summary: 'Download the rejected rows as CSV (UTF-8 with BOM; opens in Excel). Audited.',
          params: Type.Object({ id: Uuid }),
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const imp = await ctx.services.imports.get(p, req.params.id);
        const gen = ctx.services.imports.rejectsCsv(p, req.params.id, { ip: req.ip });
        const first = await gen.next(); // runs the permission check and the audit entry before any byte is sent
        const body = Readable.from(
          (async function* () {
            if (!first.done) yield first.value;
            yield* gen;
          })(),
        );
        const name = `${imp.filename.replace(/\.[^.]+$/, '')}-rejected.csv`;
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="rejected.csv"; filename*=UTF-8''${encodeURIComponent(name)}`,
          )
          .send(body);
      },
    );
  };
