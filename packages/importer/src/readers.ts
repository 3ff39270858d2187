import { parse, type Parser } from 'csv-parse';
import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { ImportFileError } from './errors.ts';
import { decodeText, peek, type ByteCounter, type Encoding } from './source.ts';

/** A record of cells with its row number as a person sees it (header = row 1). */
export interface RawRecord {
  rowNumber: number;
  cells: string[];
}

/** Largest CSV record accepted; anything bigger is almost surely an unbalanced quote. */
const MAX_RECORD_CHARS = 1024 * 1024;
const XLSX_BATCH = 1000;

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

/**
 * An Excel cell's value as text: numbers without exponent or float noise (a phone stored as
 * a number must not turn into 1.38e+10), dates as ISO (date-only when midnight UTC, which is
 * how exceljs gives calendar dates), rich text and hyperlinks by their text, formulas by
 * their cached result, errors (#N/A…) as empty.
 */
export function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? BigInt(v).toString() : String(v);
    // Excel keeps 15 significant digits; print the shortest form that round-trips.
    return String(Number(v.toPrecision(15)));
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof v === 'object') {
    const o = v as unknown as Record<string, unknown>;
    if (Array.isArray(o['richText']))
      return (o['richText'] as { text?: unknown }[]).map((r) => (typeof r.text === 'string' ? r.text : '')).join('');
    if ('error' in o) return '';
    if ('formula' in o || 'sharedFormula' in o || 'result' in o)
      return cellText((o['result'] ?? null) as ExcelJS.CellValue);
    if ('text' in o) return cellText((o['text'] ?? null) as ExcelJS.CellValue); // hyperlink; its text may itself be rich text
  }
  return String(v);
}

/**
 * Rows of the first worksheet, streamed (the workbook is never loaded whole). Row numbers
 * are the sheet's own; exceljs does not emit empty rows, so gaps show as gaps.
 */
export async function* readXlsx(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  counter: ByteCounter,
): AsyncGenerator<RawRecord[]> {
  const { head, stream } = await peek(input, 4, counter);
  if (head.length === 0) throw new ImportFileError('file_empty', 'the file is empty (0 bytes)');
  if (head[0] !== 0x50 || head[1] !== 0x4b) {
    throw new ImportFileError(
      'file_unreadable',
      'this is not an XLSX workbook (an .xlsx file is a ZIP archive); save it as .xlsx or CSV',
    );
  }
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(stream), {
    sharedStrings: 'cache',
    hyperlinks: 'cache',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'ignore',
  });
  let sawSheet = false;
  try {
    for await (const sheet of reader) {
      sawSheet = true;
      let batch: RawRecord[] = [];
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = row.values as ExcelJS.CellValue[];
        const cells: string[] = [];
        // values is 1-based and sparse: index 0 is unused, holes are empty cells.
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i] ?? null));
        batch.push({ rowNumber: row.number, cells });
        if (batch.length >= XLSX_BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
      break; // the first worksheet is the list
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError('file_unreadable', `the workbook cannot be read: ${(err as Error).message}`);
  }
  if (!sawSheet) throw new ImportFileError('no_worksheet', 'the workbook has no worksheet');
}
