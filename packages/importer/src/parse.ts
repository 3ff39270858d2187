import type { FieldDef } from '@outdial/domain/projects';
import { coerceFieldValue, type FieldValue } from '@outdial/domain/fields';
import { defaultTimeZoneForRegion, normalizePhone } from '@outdial/domain/phone';
import { ImportFileError } from './errors.ts';
import { FIXED_FIELDS, resolveMapping } from './mapping.ts';
import { readCsv, readXlsx, type RawRecord } from './readers.ts';
import type { ByteCounter, Encoding } from './source.ts';

export interface ImportSpec {
  /** Picks CSV or XLSX by extension when `format` is absent. */
  filename: string;
  format?: 'csv' | 'xlsx';
  /** ISO region for national-format numbers, e.g. 'CN'. */
  defaultRegion: string;
  fields: readonly FieldDef[];
  /** field → column header; overrides detection (`phones` = `phone2`). */
  mapping?: Record<string, string>;
  encoding?: 'auto' | 'utf8' | 'gb18030';
  onProgress?: (p: { bytesRead: number; rowsRead: number }) => void;
}

export interface ParsedContact {
  rowNumber: number;
  name: string | null;
  /** E.164, [0] is the primary number. */
  phones: string[];
  timezone: string | null;
  region: string | null;
  tags: string[];
  externalId: string | null;
  custom: Record<string, FieldValue>;
}

export type RowOutcome =
  | { kind: 'ok'; contact: ParsedContact }
  | { kind: 'invalid'; rowNumber: number; code: string; message: string; raw: Record<string, string> }
  | { kind: 'duplicate_in_file'; rowNumber: number; firstRowNumber: number; phone: string; raw: Record<string, string> };

export interface ParsedHeader {
  columns: string[];
  /** field → column header actually used */
  mapping: Record<string, string>;
  unmappedColumns: string[];
  encoding: Encoding | 'xlsx';
  format: 'csv' | 'xlsx';
}

/** A single cell larger than this is refused (a stray quote can swallow half a file). */
const MAX_FIELD_CHARS = 64 * 1024;
const MAX_TAGS = 50;
const PROGRESS_EVERY = 5000;

const SPLIT_PHONES = /[;,/、，；|]+/;
const SPLIT_TAGS = /[,;|、，；\n]+/;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function formatOf(spec: ImportSpec): 'csv' | 'xlsx' {
  if (spec.format) return spec.format;
  const ext = /\.([a-z0-9]+)$/i.exec(spec.filename)?.[1]?.toLowerCase();
  if (ext === 'xlsx' || ext === 'xlsm') return 'xlsx';
  if (ext === undefined || ['csv', 'txt', 'tsv'].includes(ext)) return 'csv';
  if (ext === 'xls') throw new ImportFileError('unsupported_format', 'the old .xls format is not read: save the sheet as .xlsx or CSV');
  throw new ImportFileError('unsupported_format', `".${ext}" files are not read: use CSV (UTF-8 or GBK) or .xlsx`);
}

/**
 * Streams a contact file and gives every data row exactly one outcome. Row numbers are
 * the file's own: the header is row 1, the first data row is row 2; a CSV record with a
 * quoted line break still counts as one row (as Excel shows it). Empty rows are skipped.
 * Only the set of primary numbers seen so far grows with the file.
 */
export function parseContactFile(input: AsyncIterable<Buffer | string>, spec: ImportSpec): { header: Promise<ParsedHeader>; rows: AsyncIterable<RowOutcome> } {
  const counter: ByteCounter = { bytes: 0 };
  let encoding: Encoding | 'xlsx' = 'xlsx';
  const gen = (async function* (): AsyncGenerator<ParsedHeader | RowOutcome> {
    const format = formatOf(spec);
    const records: AsyncGenerator<RawRecord> = format === 'xlsx'
      ? readXlsx(input, counter)
      : readCsv(input, spec.encoding ?? 'auto', counter, (e) => { encoding = e; });
    let headerRec: RawRecord | undefined;
    for (;;) {
      const r = await records.next();
      if (r.done) break;
      if (r.value.cells.some((c) => c.trim() !== '')) {
        headerRec = r.value;
        break;
      }
    }
    if (!headerRec) throw new ImportFileError('file_empty', 'the file has no header row');
    const columns = headerRec.cells.map((c) => c.replace(/^\ufeff/, '').trim());
    const m = resolveMapping(columns, spec.fields, spec.mapping);
    yield { columns, mapping: m.byField, unmappedColumns: m.unmapped, encoding, format } satisfies ParsedHeader;

    const col = (f: string) => m.index.get(f) ?? -1;
    const phoneCol = col('phone');
    const extraCols = FIXED_FIELDS.filter((f) => /^phone\d$/.test(f)).map(col).filter((i) => i >= 0);
    const nameCol = col('name');
    const tzCol = col('timezone');
    const regionCol = col('region');
    const tagsCol = col('tags');
    const extCol = col('external_id');
    const customCols = spec.fields.map((f) => ({ f, i: col(f.key) }));
    const firstRow = new Map<string, number>();
    let rowsRead = 0;

    const rawOf = (cells: readonly string[]) => {
      const raw: Record<string, string> = {};
      columns.forEach((c, i) => {
        raw[c || `column${i + 1}`] = cells[i] ?? '';
      });
      for (let i = columns.length; i < cells.length; i++) raw[`column${i + 1}`] = cells[i]!;
      return raw;
    };

    for (;;) {
      const r = await records.next();
      if (r.done) break;
      const { rowNumber, cells } = r.value;
      if (!cells.some((c) => c.trim() !== '')) continue;
      rowsRead++;
      if (rowsRead % PROGRESS_EVERY === 0) spec.onProgress?.({ bytesRead: counter.bytes, rowsRead });
      const invalid = (code: string, message: string): RowOutcome => ({ kind: 'invalid', rowNumber, code, message, raw: rawOf(cells) });

      // More cells than headers usually means an unquoted comma shifted the values.
      if (cells.length > columns.length && cells.slice(columns.length).some((c) => c.trim() !== '')) {
        yield invalid('column_count', `row has ${cells.length} columns but the header has ${columns.length} (an unquoted comma?)`);
        continue;
      }
      const long = cells.findIndex((c) => c.length > MAX_FIELD_CHARS);
      if (long >= 0) {
        yield invalid('field_too_long', `column "${columns[long] ?? long + 1}" holds ${cells[long]!.length} characters (max ${MAX_FIELD_CHARS})`);
        continue;
      }
      const cell = (i: number) => (i >= 0 ? (cells[i] ?? '').trim() : '');

      const phoneParts = cell(phoneCol).split(SPLIT_PHONES).map((p) => p.trim()).filter(Boolean);
      const primary = normalizePhone(phoneParts[0] ?? '', spec.defaultRegion);
      if (!primary.ok) {
        yield invalid(primary.code, `${columns[phoneCol]}: ${primary.message}`);
        continue;
      }
      const phones = [primary.e164];
      let bad: RowOutcome | undefined;
      const extras: { col: string; raw: string }[] = [
        ...phoneParts.slice(1).map((raw) => ({ col: columns[phoneCol]!, raw })),
        ...extraCols.flatMap((i) => cell(i).split(SPLIT_PHONES).map((raw) => ({ col: columns[i]!, raw: raw.trim() })).filter((x) => x.raw)),
      ];
      for (const x of extras) {
        const n = normalizePhone(x.raw, spec.defaultRegion);
        if (!n.ok) {
          if (n.code === 'phone_empty') continue;
          bad = invalid(`secondary_${n.code}`, `${x.col}: ${n.message}`);
          break;
        }
        if (!phones.includes(n.e164)) phones.push(n.e164);
      }
      if (bad) {
        yield bad;
        continue;
      }

      let timezone: string | null = cell(tzCol) || null;
      if (timezone && !validTimeZone(timezone)) {
        yield invalid('timezone_invalid', `${columns[tzCol]}: "${timezone}" is not a time zone (use e.g. Asia/Shanghai)`);
        continue;
      }
      timezone ??= defaultTimeZoneForRegion(primary.region);

      const custom: Record<string, FieldValue> = {};
      const problems: { code: string; message: string }[] = [];
      for (const { f, i } of customCols) {
        if (i < 0) continue;
        const v = coerceFieldValue(f, cells[i]);
        if (v.ok) custom[f.key] = v.value;
        else problems.push(v);
      }
      if (problems.length) {
        yield invalid(problems[0]!.code, problems.map((p) => p.message).join('; '));
        continue;
      }

      const first = firstRow.get(primary.e164);
      if (first !== undefined) {
        yield { kind: 'duplicate_in_file', rowNumber, firstRowNumber: first, phone: primary.e164, raw: rawOf(cells) };
        continue;
      }
      firstRow.set(primary.e164, rowNumber);

      const tags = [...new Set(cell(tagsCol).split(SPLIT_TAGS).map((t) => t.trim()).filter(Boolean))].slice(0, MAX_TAGS).map((t) => t.slice(0, 50));
      yield {
        kind: 'ok',
        contact: {
          rowNumber,
          name: cell(nameCol).slice(0, 200) || null,
          phones,
          timezone,
          region: cell(regionCol).slice(0, 100) || primary.region,
          tags,
          externalId: cell(extCol).slice(0, 100) || null,
          custom,
        },
      };
    }
    spec.onProgress?.({ bytesRead: counter.bytes, rowsRead });
  })();

  const header = (async () => {
    const first = await gen.next();
    if (first.done) throw new ImportFileError('file_empty', 'the file has no header row');
    return first.value as ParsedHeader;
  })();
  // Marked as observed: the rows iterator (or the caller) rethrows it.
  header.catch(() => undefined);

  const rows = (async function* (): AsyncGenerator<RowOutcome> {
    await header;
    for (;;) {
      const r = await gen.next();
      if (r.done) return;
      yield r.value as RowOutcome;
    }
  })();
  return { header, rows };
}
