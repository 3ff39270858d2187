import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { imports } from '@outdial/contracts';
import type { ImportRow } from '@outdial/db';
import { checkFilename, invalid } from '@outdial/engine';
import { join } from 'node:path';
import { principalOf, type RouteContext } from '../context.ts';
import { sendCsv } from '../csv.ts';
import { toLimit } from '../paging.ts';
import { spoolUpload } from '../upload.ts';

export function presentImport(i: ImportRow) {
  const progress =
    i.status === 'completed' || i.status === 'merging' ? 1 : i.totalBytes ? Math.min(1, i.bytesRead / i.totalBytes) : 0;
  return { ...i, progress };
}

type Encoding = 'auto' | 'utf8' | 'gb18030';
const ENCODINGS: readonly string[] = ['auto', 'utf8', 'gb18030'];

function parseMapping(v: string | undefined): Record<string, string> | undefined {
  if (v === undefined || v === '') return undefined;
  let m: unknown;
  try {
    m = JSON.parse(v);
  } catch {
    throw invalid('mapping must be a JSON object {"field": "column header"}', { field: 'mapping' });
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

export const importRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Raw uploads (curl --data-binary) arrive as a stream, never buffered whole.
    app.addContentTypeParser(imports.UPLOAD_CONTENT_TYPES.slice(1), (_req, payload, done) => done(null, payload));

    app.route({
      ...imports.startImport,
      handler: async (req, reply) => {
        const p = principalOf(req);
        // Permission, project and the named format are checked before a byte of the body is read.
        await ctx.services.imports.prepare(p, req.params.code, req.query.filename);
        const spooling = spoolUpload(
          req,
          join(ctx.config.dataDir, 'uploads'),
          ctx.config.maxUploadMb * 1024 * 1024,
          req.query.filename,
          checkFilename,
        );
        // Stopping the server waits for it: a cut upload removes its partial file before the exit.
        ctx.background.add(spooling);
        void spooling.then(
          () => ctx.background.delete(spooling),
          () => ctx.background.delete(spooling),
        );
        const upload = await spooling;
        const encoding = upload.fields['encoding'] ?? req.query.encoding;
        let started;
        try {
          if (encoding !== undefined && !ENCODINGS.includes(encoding))
            throw invalid(`encoding must be one of ${ENCODINGS.join(', ')}`, { field: 'encoding' });
          started = await ctx.services.imports.start(p, {
            projectCode: req.params.code,
            path: upload.path,
            filename: upload.filename ?? '',
            mapping: parseMapping(upload.fields['mapping'] ?? req.query.mapping),
            encoding: encoding as Encoding | undefined,
            removeFileAfter: true,
          });
        } catch (err) {
          await ctx.services.imports.discard(upload.path);
          throw err;
        }
        ctx.background.add(started.done);
        void started.done.finally(() => ctx.background.delete(started.done));
        return reply.status(202).send(presentImport(started.import));
      },
    });

    app.route({
      ...imports.previewImport,
      handler: async (req) => {
        const p = principalOf(req);
        await ctx.services.imports.prepare(p, req.params.code, req.query.filename);
        const upload = await spoolUpload(
          req,
          join(ctx.config.dataDir, 'uploads'),
          ctx.config.maxUploadMb * 1024 * 1024,
          req.query.filename,
          checkFilename,
        );
        try {
          const encoding = upload.fields['encoding'] ?? req.query.encoding;
          if (encoding !== undefined && !ENCODINGS.includes(encoding))
            throw invalid(`encoding must be one of ${ENCODINGS.join(', ')}`, { field: 'encoding' });
          return await ctx.services.imports.preview(
            p,
            {
              projectCode: req.params.code,
              path: upload.path,
              filename: upload.filename ?? '',
              mapping: parseMapping(upload.fields['mapping'] ?? req.query.mapping),
              encoding: encoding as Encoding | undefined,
            },
            req.query.rows,
          );
        } finally {
          await ctx.services.imports.discard(upload.path);
        }
      },
    });

    app.route({
      ...imports.listImports,
      handler: async (req) => {
        const { items, total } = await ctx.services.imports.list(principalOf(req), req.params.code, toLimit(req.query));
        return { items: items.map(presentImport), total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...imports.getImport,
      handler: async (req) => presentImport(await ctx.services.imports.get(principalOf(req), req.params.id)),
    });

    app.route({
      ...imports.listRejects,
      handler: async (req) => {
        const { items, total } = await ctx.services.imports.rejects(
          principalOf(req),
          req.params.id,
          { outcome: req.query.outcome, ...toLimit(req.query) },
          { ip: req.ip },
        );
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...imports.exportRejects,
      handler: async (req, reply) => {
        const p = principalOf(req);
        const imp = await ctx.services.imports.get(p, req.params.id);
        const gen = ctx.services.imports.rejectsCsv(p, req.params.id, { ip: req.ip });
        return sendCsv(reply, gen, `${imp.filename.replace(/\.[^.]+$/, '')}-rejected.csv`);
      },
    });
  };
