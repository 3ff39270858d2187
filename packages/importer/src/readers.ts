import { parse, type Parser } from 'csv-parse';
import { ImportFileError } from './errors.ts';
import { decodeText, type ByteCounter, type Encoding } from './source.ts';

/** A record of cells with its row number as a person sees it (header = row 1). */
export interface RawRecord {
  rowNumber: number;
  cells: string[];
}

/** Largest CSV record accepted; anything bigger is almost surely an unbalanced quote. */
const MAX_RECORD_CHARS = 1024 * 1024;

/**
 * Picks the delimiter that splits the first non-empty line into the most columns (quotes
 * respected); `,` when nothing splits it (a one-column file).
 */
export function sniffDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n|\r/).find((l) => l.trim() !== '') ?? '';
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    let n = 0;
    let quoted = false;
    for (const ch of firstLine) {
      if (ch === '"') quoted = !quoted;
      else if (ch === d && !quoted) n++;
    }
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Enough text to see the first non-empty line whole (or everything there is). */
function hasFirstLine(s: string): boolean {
  return /\S[^\r\n]*[\r\n]/.test(s);
}

export interface CsvSource {
  batches: AsyncGenerator<RawRecord[]>;
  encoding: () => Encoding;
}

/**
 * CSV records in batches. csv-parse is driven synchronously: each decoded chunk is written
 * and the records it completes are drained at once, so a batch is "what one chunk of the
 * file held" (~1,000 rows for 64 KiB) and the per-row cost is one function call, not one
 * stream event and promise per row. Backpressure is the caller's pace: the next chunk is
 * read only when the caller asks for the next batch.
 *
 * Row numbers count records, not physical lines: a quoted cell with a line break inside is
 * one row, as Excel shows it. Empty lines are records too (numbered, then skipped by the
 * caller), so numbers match the line numbers of a file without embedded line breaks.
 */
export function readCsv(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  forced: 'auto' | 'utf8' | 'gb18030',
  counter: ByteCounter,
): CsvSource {
  const decoded = decodeText(input, forced, counter);
  async function* batches(): AsyncGenerator<RawRecord[]> {
    let head = '';
    let next = await decoded.text.next();
    while (!next.done) {
      head += next.value;
      if (hasFirstLine(head) || head.length > 64 * 1024) break;
      next = await decoded.text.next();
    }
    if (!decoded.bytesSeen()) throw new ImportFileError('file_empty', 'the file is empty (0 bytes)');
    const parser: Parser = parse({
      delimiter: sniffDelimiter(head),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      max_record_size: MAX_RECORD_CHARS,
    });
    let failure: unknown = null;
    parser.on('error', (err) => {
      failure = err;
    });
    let row = 0;
    const fail = (err: unknown): ImportFileError => {
      const e = err as { code?: string; message?: string };
      const hint = e.code === 'CSV_MAX_RECORD_SIZE' ? ' (a quote that is never closed?)' : '';
      return new ImportFileError(
        'file_unreadable',
        `the CSV cannot be read after row ${row}: ${e.message ?? String(err)}${hint}`,
        { row, code: e.code },
      );
    };
    const drain = (): RawRecord[] => {
      const out: RawRecord[] = [];
      for (let r = parser.read() as string[] | null; r !== null; r = parser.read() as string[] | null)
        out.push({ rowNumber: ++row, cells: r });
      return out;
    };
    // Errors are emitted on a later tick: wait one, so the error (not a truncated success) is reported.
    const settle = async () => {
      if (parser.destroyed || failure) {
        await new Promise((r) => setImmediate(r));
        throw fail(failure ?? new Error('parser stopped'));
      }
    };
    try {
      if (head) {
        parser.write(head);
        const b = drain();
        await settle();
        if (b.length) yield b;
      }
      if (!next.done) {
        for (next = await decoded.text.next(); !next.done; next = await decoded.text.next()) {
          parser.write(next.value);
          const b = drain();
          await settle();
          if (b.length) yield b;
        }
      }
      parser.end();
      for (;;) {
        const b = drain();
        if (b.length) yield b;
        if (failure) throw fail(failure);
        if (parser.readableEnded) break;
        await new Promise<void>((resolve) => {
          const wake = () => {
            parser.off('readable', wake);
            parser.off('end', wake);
            parser.off('error', wake);
            parser.off('close', wake);
            resolve();
          };
          parser.on('readable', wake);
          parser.on('end', wake);
          parser.on('error', wake);
          parser.on('close', wake);
        });
        if (parser.destroyed && !parser.readableEnded && !failure) break;
      }
    } finally {
      if (!parser.destroyed) parser.destroy();
    }
  }
  return { batches: batches(), encoding: decoded.encoding };
}
