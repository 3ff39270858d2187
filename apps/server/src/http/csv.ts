import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * Streams a CSV the engine generates. The generator's first step runs the permission check and
 * writes the audit entry, so it is awaited before any byte (or status) is sent: a refusal is a
 * clean 4xx, not a broken download.
 */
export async function sendCsv(reply: FastifyReply, gen: AsyncGenerator<string>, filename: string) {
  const first = await gen.next();
  const body = Readable.from(
    (async function* () {
      if (!first.done) yield first.value;
      yield* gen;
    })(),
  );
  const ascii = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`)
    .send(body);
}
