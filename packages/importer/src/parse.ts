import type { FieldDef } from '@outdial/domain/projects';
import { coerceFieldValue, type FieldValue } from '@outdial/domain/fields';
import { defaultTimeZoneForRegion, normalizePhone, type NormalizedPhone } from '@outdial/domain/phone';
import { ImportFileError } from './errors.ts';
import { FIXED_FIELDS, resolveMapping } from './mapping.ts';
import { readCsv, readXlsx, type RawRecord } from './readers.ts';
import type { ByteCounter, Encoding } from './source.ts';

export interface ImportSpec {
  /** Picks CSV or XLSX by extension when `format` is absent (.csv/.txt/.tsv/none → CSV, .xlsx/.xlsm → XLSX). */
  filename: string;
  format?: 'csv' | 'xlsx';
  /** ISO region for national-format numbers, e.g. 'CN'. */
  defaultRegion: string;
  fields: readonly FieldDef[];
  /** field → column header; overrides detection (`phones` = `phone2`). */
  mapping?: Record<string, string>;
  /** CSV only; `auto` (default) sniffs BOM / UTF-8 validity / GB18030. */
  encoding?: 'auto' | 'utf8' | 'gb18030';
  /** Called every 5,000 non-empty rows and once at the end. */
  onProgress?: (p: { bytesRead: number; rowsRead: number }) => void;
}

export interface ParsedContact {
  rowNumber: number;
  name: string | null;
  /** E.164, [0] is the primary number; no repeats. */
  phones: string[];
  /** IANA zone from the row, else the single zone of the primary number's country, else null. */
  timezone: string | null;
  /** The row's region text (省份/城市/…), else the primary number's ISO country. */
  region: string | null;
  tags: string[];
  externalId: string | null;
  custom: Record<string, FieldValue>;
}

export type RowOutcome =
  | { kind: 'ok'; contact: ParsedContact }
  | { kind: 'invalid'; rowNumber: number; code: string; message: string; raw: Record<string, string> }
  | {
      kind: 'duplicate_in_file';
      rowNumber: number;
      firstRowNumber: number;
      phone: string;
      raw: Record<string, string>;
    };

export interface ParsedHeader {
  /** Header cells as written (trimmed, BOM removed). */
  columns: string[];
  /** field → column header actually used. */
  mapping: Record<string, string>;
  /** Columns no field reads: ignored, reported so the user can map them. */
  unmappedColumns: string[];
  /**
   * The encoding as known when the header was read; `ascii` means the header and everything
   * before it were 7-bit and the choice UTF-8/GB18030 is made at the first non-ASCII byte.
   * `xlsx` for workbooks.
   */
  encoding: Encoding | 'xlsx';
  format: 'csv' | 'xlsx';
}

/**
 * Why a row was refused (`RowOutcome.code` when kind is 'invalid'). Besides these, the
 * phone codes of @outdial/domain/phone (phone_empty, phone_invalid, …), the same prefixed
 * `secondary_` for an extra number, and the field codes of @outdial/domain/fields
 * (required_missing, number_invalid, …).
 */
export type RowErrorCode =
  | 'too_many_columns' // non-empty cells beyond the header's last column (an unquoted comma?)
  | 'too_few_columns' // CSV row shorter than the header (a cut line?)
  | 'field_too_long' // a cell over 64 KiB characters
  | 'value_too_long' // name over 200, external id over 100, a tag over 50 characters, or over 50 tags
  | 'text_undecodable' // bytes that are not valid text in the file's encoding (U+FFFD after decoding)
  | 'timezone_invalid';

/** A single cell larger than this is refused (a stray quote can swallow half a file). */
const MAX_FIELD_CHARS = 64 * 1024;
const MAX_NAME = 200;
const MAX_EXTERNAL_ID = 100;
const MAX_TAG = 50;
const MAX_TAGS = 50;
const PROGRESS_EVERY = 5000;

/** Several numbers in one cell: 138…;139…, 138…/139…, 138…、139… */
const SPLIT_PHONES = /[;,/、，；|]+/;
const HAS_PHONE_SEPARATOR = /[;,/、，；|]/;
const SPLIT_TAGS = /[,;|、，；\n]+/;

const timeZones = new Map<string, string | null>();
/** The canonical IANA name ("asia/shanghai" → "Asia/Shanghai"), or null when unknown. Memoised: few distinct values. */
function canonicalTimeZone(tz: string): string | null {
  let v = timeZones.get(tz);
  if (v === undefined) {
    const alias = TZ_ALIASES[tz.replace(/\s+/g, '').toLowerCase()];
    try {
      v = new Intl.DateTimeFormat('en', { timeZone: alias ?? tz }).resolvedOptions().timeZone;
    } catch {
      v = null;
    }
    if (timeZones.size < 10_000) timeZones.set(tz, v);
  }
  return v;
}
const TZ_ALIASES: Record<string, string> = {
  北京时间: 'Asia/Shanghai',
  中国标准时间: 'Asia/Shanghai',
  cst: 'Asia/Shanghai',
  'utc+8': 'Asia/Shanghai',
  'gmt+8': 'Asia/Shanghai',
};

function formatOf(spec: ImportSpec): 'csv' | 'xlsx' {
  return spec.format ?? fileFormatOf(spec.filename);
}

/**
 * The format a file name says, or an ImportFileError `unsupported_format` naming what is read
 * instead. Callers check it before they accept an upload, so nothing is spooled for a file that
 * could never be imported.
 */
export function fileFormatOf(filename: string): 'csv' | 'xlsx' {
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
  if (ext === 'xlsx' || ext === 'xlsm') return 'xlsx';
  if (ext === undefined || ['csv', 'txt', 'tsv'].includes(ext)) return 'csv';
  if (ext === 'xls')
    throw new ImportFileError('unsupported_format', 'the old .xls format is not read: save the sheet as .xlsx or CSV');
  throw new ImportFileError('unsupported_format', `".${ext}" files are not read: use CSV (UTF-8 or GBK) or .xlsx`, {
    extension: ext,
  });
}

const isBlank = (cells: readonly string[]): boolean => {
  for (const c of cells) if (c.trim() !== '') return false;
  return true;
};

interface Candidate {
  col: number;
  raw: string;
}

/** Phone numbers of one cell; module-level (not a per-row closure): this runs a million times. */
function addCandidates(out: Candidate[], col: number, text: string): void {
  if (text === '') return;
  if (!HAS_PHONE_SEPARATOR.test(text)) out.push({ col, raw: text });
  else for (const p of text.split(SPLIT_PHONES)) if (p.trim()) out.push({ col, raw: p.trim() });
}

const cellAt = (cells: readonly string[], i: number): string => (i >= 0 ? (cells[i] ?? '').trim() : '');

export interface ParseResult {
  /** Resolves once the header is read and mapped; rejects with ImportFileError if the file cannot be imported at all. */
  header: Promise<ParsedHeader>;
  /** One outcome per non-empty data row, in file order. */
  rows: AsyncIterable<RowOutcome>;
  /**
   * The same outcomes in the batches they were parsed in (a few hundred to a thousand rows):
   * cheaper for a consumer that writes in batches anyway. Consume `rows` or `batches`, not both.
   */
  batches: AsyncIterable<RowOutcome[]>;
}

/**
 * Streams a contact file and gives every non-empty data row exactly one outcome.
 *
 * Row numbers are the file's own, 1-based: the header is row 1 (or later, after leading
 * blank lines), the first data row is the next. CSV counts records: a quoted cell with a line
 * break inside is still one row (as Excel shows it); empty lines are counted and skipped.
 * XLSX uses the sheet's row numbers.
 *
 * Memory: the file is read a chunk at a time as the consumer pulls; only the in-file dedupe
 * map (primary number → first row, ~50 bytes a row) grows with the file.
 *
 * A row is a duplicate when its primary E.164 equals the primary of an earlier *accepted*
 * row (so "138 1234 5678", "+86 13812345678" and "0086-138-1234-5678" collide). Secondary
 * numbers equal to the primary (or to each other) are dropped.
 *
 * File-level problems (see ImportFileErrorCode) reject `header` and throw from `rows`; a CSV
 * that breaks mid-way (a record over 1 MiB) throws from `rows` after the rows before it.
 */
export function parseContactFile(input: AsyncIterable<Buffer | Uint8Array | string>, spec: ImportSpec): ParseResult {
  const counter: ByteCounter = { bytes: 0 };
  let resolveHeader!: (h: ParsedHeader) => void;
  let rejectHeader!: (e: unknown) => void;
  const header = new Promise<ParsedHeader>((res, rej) => {
    resolveHeader = res;
    rejectHeader = rej;
  });
  // Marked as observed: whoever iterates the rows gets the same error thrown.
  header.catch(() => undefined);

  async function* outcomes(): AsyncGenerator<RowOutcome[]> {
    let source: AsyncGenerator<RawRecord[]>;
    let encoding: () => Encoding | 'xlsx';
    let format: 'csv' | 'xlsx';
    try {
      format = formatOf(spec);
      if (format === 'xlsx') {
        source = readXlsx(input, counter);
        encoding = () => 'xlsx';
      } else {
        const csv = readCsv(input, spec.encoding ?? 'auto', counter);
        source = csv.batches;
        encoding = csv.encoding;
      }
    } catch (err) {
      rejectHeader(err);
      throw err;
    }
    let process: ((rec: RawRecord) => RowOutcome | null) | undefined;
    let rowsRead = 0;
    try {
      for (;;) {
        let next;
        try {
          next = await source.next();
        } catch (err) {
          if (!process) rejectHeader(err);
          throw err;
        }
        if (next.done) break;
        const batch = next.value;
        let start = 0;
        if (!process) {
          // The header is the first non-blank record.
          while (start < batch.length && isBlank(batch[start]!.cells)) start++;
          if (start === batch.length) continue;
          try {
            const built = rowProcessor(batch[start]!.cells, spec, format, encoding());
            process = built.process;
            resolveHeader(built.header);
          } catch (err) {
            rejectHeader(err);
            throw err;
          }
          start++;
        }
        const out: RowOutcome[] = [];
        for (let i = start; i < batch.length; i++) {
          const o = process(batch[i]!);
          if (o === null) continue;
          out.push(o);
          if (++rowsRead % PROGRESS_EVERY === 0) spec.onProgress?.({ bytesRead: counter.bytes, rowsRead });
        }
        if (out.length) yield out;
      }
      if (!process) {
        const err = new ImportFileError('file_empty', 'the file has no header row (only blank lines)');
        rejectHeader(err);
        throw err;
      }
      spec.onProgress?.({ bytesRead: counter.bytes, rowsRead });
    } finally {
      await source.return(undefined);
    }
  }

  // Reading starts now, so `await header` works before anyone iterates: the first batch is
  // parsed ahead (which resolves the header) and handed out first.
  const gen = outcomes();
  const firstBatch = gen.next();
  firstBatch.catch(() => undefined); // the same error rejects `header` and is rethrown to the iterator
  let taken = false;
  const take = (): AsyncIterator<RowOutcome[]> => {
    if (taken) throw new Error('parseContactFile: consume rows or batches once, not both');
    taken = true;
    let first = true;
    return {
      next: () => {
        if (first) {
          first = false;
          return firstBatch;
        }
        return gen.next();
      },
      return: () => gen.return(undefined),
    };
  };
  const batches: AsyncIterable<RowOutcome[]> = { [Symbol.asyncIterator]: () => take() };
  const rows: AsyncIterable<RowOutcome> = {
    [Symbol.asyncIterator]: () => {
      const it = take();
      let buf: RowOutcome[] = [];
      let i = 0;
      // A hand-written iterator over the batches: one resolved promise per row instead of an
      // async generator's resume, which is measurable at a million rows.
      return {
        async next(): Promise<IteratorResult<RowOutcome>> {
          while (i >= buf.length) {
            const b = await it.next();
            if (b.done) return { done: true, value: undefined };
            buf = b.value;
            i = 0;
          }
          return { done: false, value: buf[i++]! };
        },
        async return(): Promise<IteratorResult<RowOutcome>> {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { header, rows, batches };
}

/** Maps the header and returns the per-row function (all per-file work done once here). */
function rowProcessor(
  headerCells: readonly string[],
  spec: ImportSpec,
  format: 'csv' | 'xlsx',
  encoding: Encoding | 'xlsx',
): { header: ParsedHeader; process: (rec: RawRecord) => RowOutcome | null } {
  const columns = headerCells.map((c) => c.replace(/^\ufeff/, '').trim());
  let m;
  try {
    m = resolveMapping(columns, spec.fields, spec.mapping);
  } catch (err) {
    if (err instanceof ImportFileError && err.code === 'no_phone_column') {
      // A file without a header row: its first row is data. Say so.
      const looksLikeData = columns.some((c) => normalizePhone(c, spec.defaultRegion).ok);
      if (looksLikeData) {
        throw new ImportFileError(
          'no_phone_column',
          `${err.message}. The first row holds a phone number: the file seems to have no header row; add one (e.g. 姓名,手机号)`,
          { columns, firstRowLooksLikeData: true },
        );
      }
    }
    throw err;
  }
  const header: ParsedHeader = { columns, mapping: m.byField, unmappedColumns: m.unmapped, encoding, format };

  // Names for the raw record of a refused row: header text, made unique, "columnN" when blank.
  const rawKeys: string[] = [];
  const used = new Set<string>();
  columns.forEach((c, i) => {
    let k = c || `column${i + 1}`;
    for (let n = 2; used.has(k); n++) k = `${c || `column${i + 1}`} (${n})`;
    used.add(k);
    rawKeys.push(k);
  });
  const rawOf = (cells: readonly string[]): Record<string, string> => {
    const raw: Record<string, string> = {};
    for (let i = 0; i < Math.max(cells.length, rawKeys.length); i++)
      raw[rawKeys[i] ?? `column${i + 1}`] = cells[i] ?? '';
    return raw;
  };

  const col = (f: string) => m.index.get(f) ?? -1;
  const phoneCol = col('phone');
  const extraCols = FIXED_FIELDS.filter((f) => /^phone\d$/.test(f))
    .map(col)
    .filter((i) => i >= 0);
  const nameCol = col('name');
  const tzCol = col('timezone');
  const regionCol = col('region');
  const tagsCol = col('tags');
  const extCol = col('external_id');
  const customCols = spec.fields.map((f) => ({ f, i: col(f.key) })).filter((c) => c.i >= 0);
  // A row may stop after the last named column (CSV writers that drop trailing empties
  // still write the commas up to there); blank-named trailing columns are not required.
  let width = columns.length;
  while (width > 0 && columns[width - 1] === '') width--;
  const region = spec.defaultRegion;
  // Primary E.164 (as a number: 15 digits fit a double exactly, and a Map of numbers is
  // half the memory of a Map of strings) → first row.
  const firstRow = new Map<number, number>();

  const refuse = (rowNumber: number, cells: readonly string[], code: string, message: string): RowOutcome => ({
    kind: 'invalid',
    rowNumber,
    code,
    message,
    raw: rawOf(cells),
  });

  const process = (rec: RawRecord): RowOutcome | null => {
    const { rowNumber, cells } = rec;
    if (isBlank(cells)) return null;
    if (cells.length > columns.length) {
      for (let i = columns.length; i < cells.length; i++) {
        if (cells[i]!.trim() !== '')
          return refuse(
            rowNumber,
            cells,
            'too_many_columns',
            `row has ${cells.length} columns but the header has ${columns.length} (an unquoted comma or delimiter in a value?)`,
          );
      }
    } else if (format === 'csv' && cells.length < width) {
      return refuse(
        rowNumber,
        cells,
        'too_few_columns',
        `row has ${cells.length} columns but the header has ${width} (a line broken in two, or values missing?)`,
      );
    }
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      if (c.length > MAX_FIELD_CHARS)
        return refuse(
          rowNumber,
          cells,
          'field_too_long',
          `column "${columns[i] ?? i + 1}" holds ${c.length} characters (max ${MAX_FIELD_CHARS})`,
        );
      if (c.includes('\ufffd'))
        return refuse(
          rowNumber,
          cells,
          'text_undecodable',
          `column "${columns[i] ?? i + 1}" has bytes that are not valid text in this file's encoding (${encoding}); save the file as UTF-8 or choose the encoding`,
        );
    }

    // Phones: the phone column first (several numbers in one cell are split), then extra columns.
    const phoneCell = cellAt(cells, phoneCol);
    const candidates: Candidate[] = [];
    addCandidates(candidates, phoneCol, phoneCell);
    const fromPhoneColumn = candidates.length;
    for (const i of extraCols) addCandidates(candidates, i, cellAt(cells, i));
    // An empty phone cell with a number in a backup column: the backup becomes the primary.
    const primaryRaw = candidates[0];
    const primary: NormalizedPhone = primaryRaw
      ? normalizePhone(primaryRaw.raw, region)
      : normalizePhone(phoneCell, region);
    if (!primary.ok) {
      const where = primaryRaw ? columns[primaryRaw.col] : columns[phoneCol];
      return refuse(
        rowNumber,
        cells,
        primary.code,
        `${where}: ${primary.message}${primaryRaw && fromPhoneColumn === 0 ? ` (the ${columns[phoneCol]} cell is empty; this is the first backup number)` : ''}`,
      );
    }
    const phones = [primary.e164];
    for (let k = 1; k < candidates.length; k++) {
      const x = candidates[k]!;
      const n = normalizePhone(x.raw, region);
      if (!n.ok) {
        if (n.code === 'phone_empty') continue;
        return refuse(rowNumber, cells, `secondary_${n.code}`, `${columns[x.col]}: ${n.message}`);
      }
      if (!phones.includes(n.e164)) phones.push(n.e164);
    }

    let timezone: string | null = null;
    const tzText = cellAt(cells, tzCol);
    if (tzText) {
      timezone = canonicalTimeZone(tzText);
      if (timezone === null)
        return refuse(
          rowNumber,
          cells,
          'timezone_invalid',
          `${columns[tzCol]}: "${tzText}" is not a time zone (use an IANA name such as Asia/Shanghai)`,
        );
    } else timezone = defaultTimeZoneForRegion(primary.region);

    const custom: Record<string, FieldValue> = {};
    let problems: { code: string; message: string }[] | undefined;
    for (const { f, i } of customCols) {
      const v = coerceFieldValue(f, cells[i]);
      if (v.ok) custom[f.key] = v.value;
      else (problems ??= []).push(v);
    }
    if (problems) return refuse(rowNumber, cells, problems[0]!.code, problems.map((p) => p.message).join('; '));

    const name = cellAt(cells, nameCol);
    if (name.length > MAX_NAME)
      return refuse(
        rowNumber,
        cells,
        'value_too_long',
        `${columns[nameCol]}: a name of ${name.length} characters (max ${MAX_NAME})`,
      );
    const externalId = cellAt(cells, extCol);
    if (externalId.length > MAX_EXTERNAL_ID)
      return refuse(
        rowNumber,
        cells,
        'value_too_long',
        `${columns[extCol]}: an id of ${externalId.length} characters (max ${MAX_EXTERNAL_ID})`,
      );
    const tagText = cellAt(cells, tagsCol);
    let tags: string[] = [];
    if (tagText) {
      // Plain loops: no closure is created per row.
      for (const part of tagText.split(SPLIT_TAGS)) {
        const t = part.trim();
        if (!t || tags.includes(t)) continue;
        if (t.length > MAX_TAG)
          return refuse(
            rowNumber,
            cells,
            'value_too_long',
            `${columns[tagsCol]}: tag "${t.slice(0, 20)}…" is longer than ${MAX_TAG} characters`,
          );
        tags.push(t);
        if (tags.length > MAX_TAGS) break; // refused just below; stop before the loop turns quadratic
      }
      if (tags.length > MAX_TAGS)
        return refuse(rowNumber, cells, 'value_too_long', `${columns[tagsCol]}: more than ${MAX_TAGS} tags`);
    }

    const key = Number(primary.e164.slice(1));
    const first = firstRow.get(key);
    if (first !== undefined)
      return { kind: 'duplicate_in_file', rowNumber, firstRowNumber: first, phone: primary.e164, raw: rawOf(cells) };
    firstRow.set(key, rowNumber);
    return {
      kind: 'ok',
      contact: {
        rowNumber,
        name: name || null,
        phones,
        timezone,
        region: cellAt(cells, regionCol) || primary.region,
        tags,
        externalId: externalId || null,
        custom,
      },
    };
  };
  return { header, process };
}
