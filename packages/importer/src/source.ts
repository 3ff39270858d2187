import iconv from 'iconv-lite';
import { Readable } from 'node:stream';

export type Encoding = 'utf8' | 'utf8-bom' | 'gb18030' | 'utf16le' | 'utf16be';

const SNIFF_BYTES = 64 * 1024;

/**
 * Which encoding a file is in, from its first bytes: a BOM decides; otherwise text that is
 * valid UTF-8 is UTF-8, and anything else is taken as GB18030 (a superset of GBK and GB2312,
 * what Excel in China writes by default).
 */
export function sniffEncoding(head: Buffer, complete: boolean): Encoding {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf8-bom';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  let end = head.length;
  if (!complete) {
    // Do not judge a multi-byte character cut at the end of the sample.
    let i = end - 1;
    while (i >= 0 && i > end - 4 && (head[i]! & 0xc0) === 0x80) i--;
    if (i >= 0 && head[i]! >= 0xc0) end = i;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return 'utf8';
  } catch {
    return 'gb18030';
  }
}

/** Counts bytes as they pass, for progress. */
export interface ByteCounter {
  bytes: number;
}

/** Reads the first chunks, and gives them back with the rest of the stream. */
export async function peek(input: AsyncIterable<Buffer | string>, want = SNIFF_BYTES, counter?: ByteCounter): Promise<{ head: Buffer; complete: boolean; stream: AsyncIterable<Buffer> }> {
  const it = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = false;
  while (size < want) {
    const r = await it.next();
    if (r.done) {
      complete = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    if (counter) counter.bytes += b.length;
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (complete) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      if (counter) counter.bytes += b.length;
      yield b;
    }
  }
  return { head, complete, stream: rest() };
}

/** Decodes a byte stream to text, streaming; the BOM, if any, is dropped. */
export function decode(stream: AsyncIterable<Buffer>, enc: Encoding): NodeJS.ReadWriteStream {
  const name = enc === 'utf8-bom' ? 'utf8' : enc === 'utf16be' ? 'utf16-be' : enc;
  const source = Readable.from(stream);
  const decoder = iconv.decodeStream(name, { stripBOM: true });
  // pipe() does not forward errors: a failing read must fail the parse, not hang it.
  source.on('error', (err) => decoder.emit('error', err));
  return source.pipe(decoder);
}
