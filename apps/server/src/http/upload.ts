import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { UPLOAD_CONTENT_TYPES } from '@outdial/contracts/imports';
import { AppError, invalid } from '@outdial/engine';
import { unstorableText } from './text.ts';

export interface SpooledUpload {
  path: string;
  filename: string | undefined;
  fields: Record<string, string>;
}

/** Stops a raw body at the upload limit (multipart bodies are limited by @fastify/multipart). */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) cb(tooLarge(this.max));
    else cb(null, chunk);
  }
}

const tooLarge = (max: number) =>
  new AppError('payload_too_large', `the file is larger than ${Math.round(max / 1024 / 1024)} MB`, { limitBytes: max });

/** What the multipart parser's own limits mean to the person uploading. */
const MULTIPART_LIMITS: Record<string, string> = {
  FST_FILES_LIMIT: 'send one file per import',
  FST_FIELDS_LIMIT: 'too many form fields (at most 10 besides the file)',
  FST_PARTS_LIMIT: 'too many parts in the form',
};

/**
 * A stream error that is the client's doing (a cut connection, a broken multipart body, a limit
 * of the form) becomes a 4xx that says which; only the file's size is a 413.
 */
function asClientError(err: unknown, maxBytes: number): unknown {
  if (err instanceof AppError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  const limit = typeof e.code === 'string' ? MULTIPART_LIMITS[e.code] : undefined;
  if (limit) return invalid(limit, { cause: e.code });
  if (typeof e.statusCode === 'number' && e.statusCode === 413) return tooLarge(maxBytes);
  const message = typeof e.message === 'string' ? e.message : 'the upload could not be read';
  return invalid(`the upload is incomplete or malformed: ${message}`, {
    ...(typeof e.code === 'string' ? { cause: e.code } : {}),
  });
}

/**
 * Writes an upload to a new file under `dir`: the raw body, or the one `file` part of a
 * multipart body (plus its small text fields). `checkName` runs as soon as the file's name is
 * known — before any of its bytes are written — so a file that could never be imported is not
 * spooled. On any failure the partial file is removed before the error is passed on.
 */
export async function spoolUpload(
  req: FastifyRequest,
  dir: string,
  maxBytes: number,
  queryFilename: string | undefined,
  checkName: (filename: string) => void,
): Promise<SpooledUpload> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, randomUUID());
  let filename = queryFilename;
  const fields: Record<string, string> = {};
  let written = false;
  try {
    if (req.isMultipart()) {
      let got = false;
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          if (got) throw invalid('send one file per import');
          got = true;
          filename ??= part.filename;
          if (!filename) throw invalid('name the file (?filename=list.csv) so its format is known');
          checkName(filename);
          written = true;
          await pipeline(part.file, createWriteStream(path));
          if (part.file.truncated) throw tooLarge(maxBytes);
        } else if (typeof part.value === 'string') {
          if (part.fieldname === 'filename' && !got) filename = part.value;
          else fields[part.fieldname] = part.value;
        }
      }
      if (!got) throw invalid('no file in the upload (multipart field "file")');
    } else if (req.body instanceof Readable) {
      if (!filename) throw invalid('name the file (?filename=list.csv) so its format is known');
      checkName(filename);
      written = true;
      await pipeline(req.body, new ByteLimit(maxBytes), createWriteStream(path));
    } else {
      throw new AppError(
        'unsupported_media_type',
        `send the file as multipart/form-data or with Content-Type ${UPLOAD_CONTENT_TYPES.slice(1).join(', ')}`,
      );
    }
    const bad = unstorableText({ filename, ...fields });
    if (bad) throw invalid(`invalid upload: ${bad}`, { reason: 'unstorable_text' });
    return { path, filename, fields };
  } catch (err) {
    if (written) await removeSpooled(req, path);
    throw asClientError(err, maxBytes);
  }
}

/** Removes a spooled file; one already gone is fine, any other failure is logged (the request's own error goes on). */
async function removeSpooled(req: FastifyRequest, path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT')
      req.log.error({ err, path }, 'could not remove a refused upload');
  }
}
