import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { ImportFileError } from './errors.ts';
import { decode, peek, sniffEncoding, type ByteCounter, type Encoding } from './source.ts';

/** A record of cells with its row number as a person sees it (header = row 1). */
export interface RawRecord {
  rowNumber: number;
  cells: string[];
}

/** Largest CSV record accepted; anything bigger is almost surely an unbalanced quote. */
const MAX_RECORD_BYTES = 1024 * 1024;

/** Picks the delimiter that splits the header line into the most columns. */
export function sniffDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
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

export async function* readCsv(input: AsyncIterable<Buffer | string>, forced: 'auto' | 'utf8' | 'gb18030', counter: ByteCounter, onEncoding: (e: Encoding) => void): AsyncGenerator<RawRecord> {
  const { head, complete, stream } = await peek(input, undefined, counter);
  if (head.length === 0) throw new ImportFileError('file_empty', 'the file is empty');
  let enc: Encoding = sniffEncoding(head, complete);
  if (forced === 'gb18030') enc = 'gb18030';
  else if (forced === 'utf8') enc = enc === 'utf8-bom' ? 'utf8-bom' : 'utf8';
  onEncoding(enc);
  const text = decode(stream, enc);
  // The delimiter is decided on the first decoded characters.
  const sample = (enc.startsWith('utf8') ? head.toString('utf8') : new TextDecoder(enc === 'gb18030' ? 'gb18030' : enc === 'utf16le' ? 'utf-16le' : 'utf-16be').decode(head)).replace(/^\ufeff/, '');
  const parser = parse({
    delimiter: sniffDelimiter(sample),
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_RECORD_BYTES,
    bom: true,
  });
  const source = text.pipe(parser);
  text.on('error', (err: Error) => source.destroy(err));
  let row = 0;
  try {
    for await (const record of source as AsyncIterable<string[]>) {
      row++;
      yield { rowNumber: row, cells: record };
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const e = err as { code?: string; message?: string };
    throw new ImportFileError('file_unreadable', `the CSV cannot be read after row ${row}: ${e.message ?? String(err)}${e.code === 'CSV_MAX_RECORD_SIZE' ? ' (a quote that is never closed?)' : ''}`, { row, code: e.code });
  }
}

/** An Excel cell's value as text: phone numbers stored as numbers must not turn into 1.38e+10. */
export function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(Math.round(v)).toString() : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return cellText((v as { result?: ExcelJS.CellValue }).result ?? null);
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('error' in v) return '';
    if ('sharedFormula' in v) return cellText((v as { result?: ExcelJS.CellValue }).result ?? null);
  }
  return String(v);
}

export async function* readXlsx(input: AsyncIterable<Buffer | string>, counter: ByteCounter): AsyncGenerator<RawRecord> {
  const { head, stream } = await peek(input, 4, counter);
  if (head.length === 0) throw new ImportFileError('file_empty', 'the file is empty');
  if (head[0] !== 0x50 || head[1] !== 0x4b) throw new ImportFileError('file_unreadable', 'this is not an XLSX workbook (an .xlsx file is a ZIP archive); save it as .xlsx or CSV');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(stream), {
    sharedStrings: 'cache', hyperlinks: 'cache', styles: 'cache', worksheets: 'emit', entries: 'ignore',
  });
  let sawSheet = false;
  try {
    for await (const sheet of reader) {
      sawSheet = true;
      // Empty rows are not emitted; row.number keeps the sheet's own numbering.
      for await (const row of sheet as AsyncIterable<ExcelJS.Row>) {
        const values = row.values as ExcelJS.CellValue[];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i] ?? null));
        yield { rowNumber: row.number, cells };
      }
      break; // the first worksheet is the list
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError('file_unreadable', `the workbook cannot be read: ${(err as Error).message}`);
  }
  if (!sawSheet) throw new ImportFileError('file_empty', 'the workbook has no worksheet');
}
