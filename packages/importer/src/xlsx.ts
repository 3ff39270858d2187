/**
 * The XLSX reader (ADR 0014): the zip is opened by yauzl from its central directory, each
 * part inflated by zlib as a stream, and its XML read by saxes, so everything that can grow
 * with a hostile file is counted as it streams and stopped at a named limit:
 *
 * - unpacked bytes of each part (the worksheet, the shared-strings table, the small parts),
 *   checked against the size the zip declares before anything is inflated and counted while
 *   inflating (a header that lies is caught after at most one chunk too many);
 * - characters of one cell, and of anything else the XML parser would have to hold whole
 *   (an attribute, a name): the parser is fed in small slices and stopped once that much
 *   text has gone by without a tag, so a 400 MB cell costs about one limit of memory;
 * - characters of one row, and of all the sheet's cells together (shared strings can repeat
 *   one long text in every row: what a row expands to is counted, not what the zip holds);
 * - rows (1,048,576) and columns (16,384): Excel's own sheet size.
 *
 * Parts are read in the order the reader needs them (workbook → relationships → styles →
 * shared strings → the sheet), whatever order the zip stores them in, which a streaming unzip
 * could not do without spooling the sheet (Excel writes the sheet before the shared strings).
 * A stream handed in (tests, the CLI) is spooled to a temporary file first; the server's
 * worker reads the uploaded file itself.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline as pipe, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ImportFileError } from './errors.ts';
import type { RawRecord } from './readers.ts';
import type { ByteCounter } from './source.ts';

export interface XlsxLimits {
  /** Unpacked bytes of the worksheet's XML. */
  sheetBytes: number;
  /** Unpacked bytes of the shared-strings table (held in memory while the sheet is read). */
  sharedStringsBytes: number;
  /** Unpacked bytes of each small part: workbook, relationships, styles. */
  partBytes: number;
  /** Characters of one cell (and of any other single XML item). */
  cellChars: number;
  /** Characters of one row, its cells together. */
  rowChars: number;
  /** Characters of all the sheet's cells together, shared strings counted where they are used. */
  sheetChars: number;
  /** The last row number (Excel's maximum is 1,048,576). */
  rows: number;
  /** Columns (Excel's maximum is 16,384, column XFD). */
  columns: number;
  /** Entries in the zip. */
  zipEntries: number;
}

const MiB = 1024 * 1024;
export const XLSX_LIMITS: Readonly<XlsxLimits> = Object.freeze({
  sheetBytes: 1024 * MiB,
  sharedStringsBytes: 256 * MiB,
  partBytes: 64 * MiB,
  cellChars: MiB,
  rowChars: MiB,
  sheetChars: 1024 * MiB,
  rows: 1_048_576,
  columns: 16_384,
  zipEntries: 10_000,
});

/** Rows per batch, or fewer when they are wide (cells per batch). */
const BATCH_ROWS = 1000;
const BATCH_CELLS = 256 * 1024;
/** Characters handed to the XML parser at a time: the granularity of the cell-size guard. */
const SLICE = 64 * 1024;

export type XlsxInput = AsyncIterable<Buffer | Uint8Array | string> | { path: string };

const human = (n: number, unit: 'bytes' | 'characters'): string => {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} ${unit === 'bytes' ? 'MiB' : 'Mi characters'}`;
  return `${n.toLocaleString('en-US')} ${unit}`;
};

/** "AB" of "AB12" → 27 (0-based); -1 when the reference does not start with letters. */
function columnIndex(ref: string): number {
  let n = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c >= 65 && c <= 90) n = n * 26 + (c - 64);
    else if (c >= 97 && c <= 122) n = n * 26 + (c - 96);
    else break;
    if (n > 1e7) return Number.MAX_SAFE_INTEGER; // absurdly long letters: out of any limit
  }
  return i === 0 ? -1 : n - 1;
}

function columnName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** The row part of "AB12" → 12; NaN when there is none. */
function refRow(ref: string): number {
  let i = 0;
  while (i < ref.length && ref.charCodeAt(i) > 57) i++;
  return i < ref.length ? Number(ref.slice(i)) : NaN;
}

/** OOXML escapes characters XML cannot hold as _xHHHH_ (and a literal "_x" as _x005F_x). */
const X_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;
const unescapeX = (s: string): string =>
  s.includes('_x') ? s.replace(X_ESCAPE, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) : s;

/**
 * A number as text: integers without exponent (a phone stored as a number must not turn into
 * 1.38e+10), fractions with Excel's 15 significant digits and no float noise.
 */
export function numberText(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return Math.abs(v) < 1e21 ? BigInt(v).toString() : String(v);
  return String(Number(v.toPrecision(15)));
}

/** A date as ISO text, date-only when it is midnight (how a calendar date is stored). */
export function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** Excel's serial day number → date (1900 system: day 25569 is 1970-01-01; 1904 system: 24107). */
function serialDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
}

/**
 * Built-in number formats that are dates or times: 14–22 and 45–47 everywhere, 27–36 and
 * 50–58 in the East Asian locales (年/月/日 formats, what Chinese Excel writes).
 */
const BUILTIN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56,
  57, 58,
]);

/** Whether a number format code shows a date or time: d, m, y, h or s outside quotes, escapes and [colour] sections. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .split(';')[0]!
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/[_*]./g, '')
    .replace(/\[(?:h+|m+|s+)\]/gi, 'h') // elapsed time [h]:mm
    .replace(/\[[^\]]*\]/g, '');
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

/** Shared strings kept compactly: joined into segments, found by offset (no object per string). */
class SharedStrings {
  private segments: string[] = [];
  private pending: string[] = [];
  private pendingChars = 0;
  private seg = new Uint32Array(1024);
  private start = new Uint32Array(1024);
  private ends: number[] = [];
  count = 0;

  add(s: string): void {
    if (this.count === this.seg.length) {
      const grow = (a: Uint32Array) => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.seg = grow(this.seg);
      this.start = grow(this.start);
    }
    this.seg[this.count] = this.segments.length;
    this.start[this.count] = this.pendingChars;
    this.count++;
    this.pending.push(s);
    this.pendingChars += s.length;
    if (this.pending.length >= 65_536 || this.pendingChars >= 16 * MiB) this.seal();
  }

  seal(): void {
    if (!this.pending.length) return;
    this.segments.push(this.pending.join(''));
    this.ends.push(this.pendingChars);
    this.pending = [];
    this.pendingChars = 0;
  }

  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    const s = this.seg[i]!;
    const seg = this.segments[s]!;
    const end = i + 1 < this.count && this.seg[i + 1] === s ? this.start[i + 1]! : this.ends[s]!;
    return seg.slice(this.start[i], end);
  }
}

const localName = (name: string): string => {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
};

function unreadable(message: string, details?: unknown): ImportFileError {
  return new ImportFileError('file_unreadable', message, details);
}

/** Opens the zip; a stream is spooled to a temporary file first. `close` removes it again. */
async function openZip(input: XlsxInput): Promise<{ zip: ZipFile; close: () => Promise<void> }> {
  let path: string;
  let tmp: string | null = null;
  if ('path' in input) path = input.path;
  else {
    tmp = await mkdtemp(join(tmpdir(), 'outdial-xlsx-'));
    path = join(tmp, 'upload.xlsx');
  }
  const cleanup = async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
  try {
    if (!('path' in input)) await pipeline(Readable.from(input), createWriteStream(path));
    const head = Buffer.alloc(8);
    const fh = await open(path, 'r');
    let n: number;
    try {
      n = (await fh.read(head, 0, 8, 0)).bytesRead;
    } finally {
      await fh.close();
    }
    if (n === 0) throw new ImportFileError('file_empty', 'the file is empty (0 bytes)');
    if (n >= 4 && head.readUInt32BE(0) === 0xd0cf11e0)
      throw unreadable(
        'this is an old-style (.xls) or password-protected workbook, not an .xlsx: save it without a password as .xlsx or CSV',
      );
    if (head[0] !== 0x50 || head[1] !== 0x4b)
      throw unreadable('this is not an XLSX workbook (an .xlsx file is a ZIP archive); save it as .xlsx or CSV');
    const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
    return {
      zip,
      close: async () => {
        zip.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    if (err instanceof ImportFileError) throw err;
    throw unreadable(`the workbook cannot be read (not a valid ZIP archive): ${(err as Error).message}`);
  }
}

interface Part {
  entry: Entry;
  name: string;
}

const unpackedTooLarge = (part: Part, limit: number, what: string, seen: string) =>
  new ImportFileError(
    'unpacked_too_large',
    `the ${what} (${part.name}) unpacks to ${seen} — more than the limit of ${human(limit, 'bytes')} unpacked; split the list into smaller files`,
    { part: part.name, limitBytes: limit },
  );

/** What the zip's directory says about a part, checked before anything is inflated. */
function checkDeclared(part: Part, limit: number, what: string): void {
  const e = part.entry;
  if (e.isEncrypted()) throw unreadable('the workbook is password-protected: save it without a password');
  if (e.uncompressedSize > limit) throw unpackedTooLarge(part, limit, what, human(e.uncompressedSize, 'bytes'));
  if (e.compressionMethod !== 0 && e.compressionMethod !== 8)
    throw unreadable(`${part.name} uses a compression method this reader does not know (${e.compressionMethod})`);
}

/**
 * The text of one part, decoded, in chunks: inflated as it streams, unpacked bytes counted
 * against `limit` (compressed bytes go to `counter`, for progress).
 */
async function* partText(
  zip: ZipFile,
  part: Part,
  limit: number,
  what: string,
  counter: ByteCounter | null,
): AsyncGenerator<string> {
  const e = part.entry;
  const tooLarge = (seen: string) => unpackedTooLarge(part, limit, what, seen);
  checkDeclared(part, limit, what);
  let raw: Readable;
  try {
    raw = await zip.openReadStreamPromise(e, { decodeFileData: false });
  } catch (err) {
    throw unreadable(`the workbook cannot be read (${part.name}): ${(err as Error).message}`);
  }
  // Compressed bytes, for progress: counted as they pass into the inflater (stored parts below).
  if (counter && e.compressionMethod === 8) raw.on('data', (c: Buffer) => (counter.bytes += c.length));
  const data: Readable =
    e.compressionMethod === 8 ? pipe(raw, createInflateRaw({ chunkSize: 64 * 1024 }), () => undefined) : raw;
  let decoder: InstanceType<typeof TextDecoder> | null = null;
  let unpacked = 0;
  try {
    for await (const chunk of data as AsyncIterable<Buffer>) {
      unpacked += chunk.length;
      if (counter && e.compressionMethod === 0) counter.bytes += chunk.length;
      if (unpacked > limit) throw tooLarge(`more than ${human(unpacked, 'bytes')}`);
      // A header that understates the size (a bomb hiding from the check above) is stopped here.
      if (unpacked > e.uncompressedSize)
        throw unreadable(
          `the workbook is damaged: ${part.name} unpacks to more than the ${e.uncompressedSize} bytes its header says`,
          { part: part.name },
        );
      if (!decoder)
        decoder = new TextDecoder(chunk[0] === 0xff && chunk[1] === 0xfe ? 'utf-16le' : 'utf-8', { ignoreBOM: false });
      const s = decoder.decode(chunk, { stream: true });
      if (s) yield s;
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw unreadable(`the workbook cannot be read (${part.name} is damaged): ${(err as Error).message}`);
  } finally {
    data.destroy();
    raw.destroy();
  }
  if (unpacked !== e.uncompressedSize)
    throw unreadable(
      `the workbook is damaged: ${part.name} unpacks to ${unpacked} bytes, its header says ${e.uncompressedSize}`,
    );
  const tail = decoder?.decode() ?? '';
  if (tail) yield tail;
}

type Handlers = {
  open: (tag: SaxesTagPlain) => void;
  close: (name: string) => void;
  text: (t: string) => void;
};

/**
 * Feeds a part's XML to saxes in slices. `quiet` counts the characters since the parser last
 * reported anything: text it keeps to itself until the next tag (a cell's text, an
 * attribute, a name). Past `cellChars` the part is refused, so the parser never holds more.
 */
async function* parseXml(
  text: AsyncIterable<string>,
  part: string,
  handlers: Handlers,
  cellChars: number,
  tooLong: () => ImportFileError,
): AsyncGenerator<void> {
  const parser = new SaxesParser({ xmlns: false, position: false });
  let active = false;
  parser.on('opentag', (t) => {
    active = true;
    handlers.open(t);
  });
  parser.on('closetag', (t) => {
    active = true;
    handlers.close(t.name);
  });
  parser.on('text', (t) => {
    active = true;
    handlers.text(t);
  });
  parser.on('cdata', (t) => {
    active = true;
    handlers.text(t);
  });
  let quiet = 0;
  const write = (s: string) => {
    active = false;
    try {
      parser.write(s);
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      throw unreadable(`the workbook cannot be read (${part} is not well-formed XML): ${(err as Error).message}`);
    }
    quiet = active ? 0 : quiet + s.length;
    if (quiet > cellChars) throw tooLong();
  };
  for await (const chunk of text) {
    for (let i = 0; i < chunk.length; i += SLICE) write(chunk.length <= SLICE ? chunk : chunk.slice(i, i + SLICE));
    yield;
  }
  try {
    parser.close();
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw unreadable(
      `the workbook cannot be read (${part} is cut short or not well-formed XML): ${(err as Error).message}`,
    );
  }
}

/** Reads a small part whole through saxes (workbook, relationships, styles). */
async function readSmall(zip: ZipFile, part: Part, limits: XlsxLimits, handlers: Handlers): Promise<void> {
  const text = partText(zip, part, limits.partBytes, 'workbook part', null);
  const tooLong = () =>
    new ImportFileError(
      'cell_too_large',
      `${part.name} holds a single item of more than ${human(limits.cellChars, 'characters')} (the limit)`,
      { part: part.name, limitChars: limits.cellChars },
    );
  for await (const _ of parseXml(text, part.name, handlers, limits.cellChars, tooLong)) void _;
}

interface Relationship {
  type: string;
  target: string;
  external: boolean;
}

async function readRels(zip: ZipFile, part: Part | undefined, limits: XlsxLimits): Promise<Map<string, Relationship>> {
  const rels = new Map<string, Relationship>();
  if (!part) return rels;
  await readSmall(zip, part, limits, {
    open: (t) => {
      if (localName(t.name) !== 'Relationship') return;
      const a = t.attributes;
      if (a['Id'] && a['Target'])
        rels.set(a['Id'], { type: a['Type'] ?? '', target: a['Target'], external: a['TargetMode'] === 'External' });
    },
    close: () => undefined,
    text: () => undefined,
  });
  return rels;
}

/** A relationship target → a zip entry name: relative to the source part's folder, or absolute from the root. */
function resolveTarget(sourcePart: string, target: string): string {
  const t = target.replace(/\\/g, '/');
  if (t.startsWith('/')) return posix.normalize(t).slice(1);
  return posix.normalize(posix.join(posix.dirname(sourcePart), t)).replace(/^\/+/, '');
}

const relsOf = (part: string): string => posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);

/**
 * Rows of the first worksheet (in tab order; hidden sheets are passed over when a visible
 * one exists), streamed. Row numbers are the sheet's own (`r=`, or the next number when a
 * row has none, as the standard allows); rows without cells are not emitted.
 */
export async function* readXlsx(
  input: XlsxInput,
  counter: ByteCounter,
  limits: XlsxLimits = XLSX_LIMITS,
): AsyncGenerator<RawRecord[]> {
  const { zip, close } = await openZip(input);
  try {
    // The directory: names → entries (case-insensitively, as Excel does).
    const entries = new Map<string, Part>();
    try {
      for await (const e of zip.eachEntry()) {
        if (entries.size >= limits.zipEntries)
          throw new ImportFileError(
            'unpacked_too_large',
            `the workbook holds more than ${limits.zipEntries.toLocaleString('en-US')} files (the limit)`,
            { limitEntries: limits.zipEntries },
          );
        const name = e.fileName.replace(/\\/g, '/').replace(/^\/+/, '');
        if (!name.endsWith('/')) entries.set(name.toLowerCase(), { entry: e, name });
      }
    } catch (err) {
      if (err instanceof ImportFileError) throw err;
      throw unreadable(`the workbook cannot be read (damaged ZIP directory): ${(err as Error).message}`);
    }
    const find = (name: string) => entries.get(name.toLowerCase());

    // The workbook part, from the package relationships (xl/workbook.xml by convention).
    const pkgRels = await readRels(zip, find('_rels/.rels'), limits);
    const officeDoc = [...pkgRels.values()].find((r) => r.type.endsWith('/officeDocument') && !r.external);
    const workbookName = officeDoc ? resolveTarget('', officeDoc.target) : 'xl/workbook.xml';
    const workbook = find(workbookName);
    if (!workbook)
      throw unreadable(
        'this ZIP archive is not an XLSX workbook (it has no workbook part); save the list as .xlsx or CSV',
      );
    let date1904 = false;
    const sheets: { rid: string; hidden: boolean }[] = [];
    await readSmall(zip, workbook, limits, {
      open: (t) => {
        const n = localName(t.name);
        if (n === 'workbookPr') {
          const v = t.attributes['date1904'];
          date1904 = v === '1' || v === 'true';
        } else if (n === 'sheet') {
          const ridKey = Object.keys(t.attributes).find((k) => k === 'id' || k.endsWith(':id'));
          const state = t.attributes['state'];
          if (ridKey) sheets.push({ rid: t.attributes[ridKey]!, hidden: state === 'hidden' || state === 'veryHidden' });
        }
      },
      close: () => undefined,
      text: () => undefined,
    });
    const wbRels = await readRels(zip, find(relsOf(workbook.name)), limits);
    const worksheets = sheets
      .map((s) => ({ ...s, rel: wbRels.get(s.rid) }))
      .filter((s) => s.rel && !s.rel.external && s.rel.type.endsWith('/worksheet'));
    const chosen = worksheets.find((s) => !s.hidden) ?? worksheets[0];
    if (!chosen) throw new ImportFileError('no_worksheet', 'the workbook has no worksheet');
    const sheetName = resolveTarget(workbook.name, chosen.rel!.target);
    const sheetPart = find(sheetName);
    if (!sheetPart) throw unreadable(`the workbook is damaged: its first worksheet (${sheetName}) is missing`);
    const relOfType = (suffix: string) => {
      const r = [...wbRels.values()].find((x) => x.type.endsWith(suffix) && !x.external);
      return r ? find(resolveTarget(workbook.name, r.target)) : undefined;
    };

    const stylesPart = relOfType('/styles');
    const sstPart = relOfType('/sharedStrings');
    // Every size the directory declares is checked before any part is read.
    checkDeclared(sheetPart, limits.sheetBytes, 'worksheet');
    if (sstPart) checkDeclared(sstPart, limits.sharedStringsBytes, 'shared-strings table');
    if (stylesPart) checkDeclared(stylesPart, limits.partBytes, 'workbook part');

    // Styles: which cell formats show a number as a date.
    const dateStyles: boolean[] = [];
    if (stylesPart) {
      const custom = new Map<number, string>();
      const xfFormats: number[] = [];
      let inCellXfs = false;
      await readSmall(zip, stylesPart, limits, {
        open: (t) => {
          const n = localName(t.name);
          if (n === 'numFmt') custom.set(Number(t.attributes['numFmtId']), t.attributes['formatCode'] ?? '');
          else if (n === 'cellXfs') inCellXfs = true;
          else if (n === 'xf' && inCellXfs) xfFormats.push(Number(t.attributes['numFmtId'] ?? 0));
        },
        close: (name) => {
          if (localName(name) === 'cellXfs') inCellXfs = false;
        },
        text: () => undefined,
      });
      for (const id of xfFormats) {
        const code = custom.get(id);
        dateStyles.push(code !== undefined ? isDateFormat(code) : BUILTIN_DATE_FORMATS.has(id));
      }
    }

    // Shared strings, held for the sheet.
    const shared = new SharedStrings();
    if (sstPart) {
      let inSi = false;
      let capture = false;
      let phonetic = 0;
      let cur = '';
      const tooLong = () =>
        new ImportFileError(
          'cell_too_large',
          `shared string #${shared.count + 1} holds more than ${human(limits.cellChars, 'characters')} (the limit for one cell)`,
          { part: sstPart.name, index: shared.count, limitChars: limits.cellChars },
        );
      const text = partText(zip, sstPart, limits.sharedStringsBytes, 'shared-strings table', null);
      for await (const _ of parseXml(
        text,
        sstPart.name,
        {
          open: (t) => {
            const n = localName(t.name);
            if (n === 'si') {
              inSi = true;
              cur = '';
            } else if (n === 't' && inSi && phonetic === 0) capture = !t.isSelfClosing;
            else if (n === 'rPh') phonetic++;
          },
          close: (name) => {
            const n = localName(name);
            if (n === 't') capture = false;
            else if (n === 'rPh') phonetic--;
            else if (n === 'si') {
              shared.add(unescapeX(cur));
              inSi = false;
              cur = '';
            }
          },
          text: (t) => {
            if (!capture) return;
            cur += t;
            if (cur.length > limits.cellChars) throw tooLong();
          },
        },
        limits.cellChars,
        tooLong,
      ))
        void _;
      shared.seal();
    }

    yield* sheetRows(zip, sheetPart, limits, counter, { shared, dateStyles, date1904 });
  } finally {
    await close();
  }
}

async function* sheetRows(
  zip: ZipFile,
  part: Part,
  limits: XlsxLimits,
  counter: ByteCounter,
  ctx: { shared: SharedStrings; dateStyles: boolean[]; date1904: boolean },
): AsyncGenerator<RawRecord[]> {
  const { shared, dateStyles, date1904 } = ctx;
  let done: RawRecord[] = [];
  let doneCells = 0;
  let sheetChars = 0;

  let prevRow = 0;
  let rowNumber = 0;
  let rowHasRef = false;
  let inRow = false;
  let cells: string[] = [];
  let rowChars = 0;
  let col = -1;
  // The current cell.
  let inCell = false;
  let type = '';
  let style = -1;
  let cellRef = '';
  let value = '';
  let inline = '';
  /** 1 = inside <v>, 2 = inside an inline string's <t> (not phonetic), 0 = not capturing. */
  let capture = 0;
  let inIs = false;
  let phonetic = 0;

  const where = () => (cellRef ? `cell ${cellRef}` : `row ${rowNumber}, column ${columnName(Math.max(col, 0))}`);
  const cellTooLarge = () =>
    new ImportFileError(
      'cell_too_large',
      `${inCell ? where() : `row ${rowNumber + (inRow ? 0 : 1)}`} holds more than ${human(limits.cellChars, 'characters')} (the limit for one cell)`,
      { row: inRow ? rowNumber : rowNumber + 1, limitChars: limits.cellChars },
    );

  const startRow = (r: string | undefined) => {
    let n: number;
    rowHasRef = r !== undefined;
    if (r !== undefined) {
      n = Number(r);
      if (!Number.isInteger(n) || n < 1) throw unreadable(`the worksheet is damaged: a row is numbered "${r}"`);
    } else n = prevRow + 1;
    if (n <= prevRow)
      throw unreadable(
        `the worksheet is damaged: row ${n} comes after row ${prevRow} (rows out of order or repeated)`,
        {
          row: n,
        },
      );
    if (n > limits.rows)
      throw new ImportFileError(
        'too_many_rows',
        `the sheet has a row ${n.toLocaleString('en-US')}; at most ${limits.rows.toLocaleString('en-US')} rows are read (the limit): split the list into several files`,
        { row: n, limitRows: limits.rows },
      );
    rowNumber = n;
    inRow = true;
    cells = [];
    rowChars = 0;
    col = -1;
  };

  const endRow = () => {
    inRow = false;
    prevRow = rowNumber;
    if (cells.length === 0) return;
    done.push({ rowNumber, cells });
    doneCells += cells.length;
  };

  const startCell = (a: Record<string, string>) => {
    if (!inRow) startRow(undefined); // a cell outside any <row>: damaged, but readable
    const r = a['r'];
    let c: number;
    if (r !== undefined) {
      c = columnIndex(r);
      if (c < 0) throw unreadable(`the worksheet is damaged: a cell in row ${rowNumber} is named "${r.slice(0, 20)}"`);
      if (!rowHasRef && col < 0) {
        // The row had no number: its cells' references give it (empty rows are not written).
        const n = refRow(r);
        if (Number.isInteger(n) && n !== rowNumber) {
          const saved = cells;
          startRow(String(n));
          cells = saved;
        }
      }
    } else c = col + 1;
    if (c >= limits.columns)
      throw new ImportFileError(
        'sheet_too_wide',
        `row ${rowNumber} has a cell in column ${c < 1e6 ? columnName(c) : '(beyond XFD)'}; at most ${limits.columns.toLocaleString('en-US')} columns are read (the limit)`,
        { row: rowNumber, limitColumns: limits.columns },
      );
    if (c <= col)
      throw unreadable(
        `the worksheet is damaged: in row ${rowNumber} cell ${columnName(c)} comes after ${columnName(col)} (cells out of order or repeated)`,
        { row: rowNumber },
      );
    col = c;
    cellRef = r ?? '';
    inCell = true;
    type = a['t'] ?? 'n';
    const s = a['s'];
    style = s === undefined ? -1 : Number(s);
    value = '';
    inline = '';
    capture = 0;
    inIs = false;
    phonetic = 0;
  };

  const cellValue = (): string => {
    switch (type) {
      case 's': {
        if (value.trim() === '') return '';
        const s = shared.get(Number(value));
        if (s === undefined)
          throw unreadable(
            `the workbook is damaged: ${where()} refers to shared string #${value.trim().slice(0, 12)}, which does not exist`,
            { row: rowNumber },
          );
        return s;
      }
      case 'inlineStr':
        return unescapeX(inIs ? inline : value);
      case 'str':
        return unescapeX(value);
      case 'b':
        return value === '1' || value === 'true' ? 'true' : value === '' ? '' : 'false';
      case 'e':
        return ''; // #N/A, #DIV/0!…
      case 'd':
        return value === '' ? '' : dateText(new Date(value)) || value;
      default: {
        if (value === '') return '';
        const n = Number(value);
        if (!Number.isFinite(n)) return value;
        if (style >= 0 && dateStyles[style] && n > -1 && n < 2_958_466) return dateText(serialDate(n, date1904));
        return numberText(n);
      }
    }
  };

  const endCell = () => {
    inCell = false;
    const v = cellValue();
    if (v === '') return;
    rowChars += v.length + 1;
    sheetChars += v.length;
    if (rowChars > limits.rowChars)
      throw new ImportFileError(
        'row_too_large',
        `row ${rowNumber} holds more than ${human(limits.rowChars, 'characters')} (the limit for one row)`,
        { row: rowNumber, limitChars: limits.rowChars },
      );
    if (sheetChars > limits.sheetChars)
      throw new ImportFileError(
        'unpacked_too_large',
        `the sheet's cells hold more than ${human(limits.sheetChars, 'characters')} of text (the limit; shared strings count each time they are used): split the list into smaller files`,
        { row: rowNumber, limitChars: limits.sheetChars },
      );
    while (cells.length < col) cells.push('');
    cells.push(v);
  };

  const handlers: Handlers = {
    open: (t) => {
      switch (localName(t.name)) {
        case 'row':
          if (inRow) endRow();
          startRow(t.attributes['r']);
          if (t.isSelfClosing) endRow();
          break;
        case 'c':
          startCell(t.attributes);
          if (t.isSelfClosing) inCell = false;
          break;
        case 'v':
          if (inCell && !t.isSelfClosing) capture = 1;
          break;
        case 'is':
          if (inCell) inIs = true;
          break;
        case 't':
          if (inIs && phonetic === 0 && !t.isSelfClosing) capture = 2;
          break;
        case 'rPh':
          if (inIs) phonetic++;
          break;
      }
    },
    close: (name) => {
      switch (localName(name)) {
        case 'v':
        case 't':
          capture = 0;
          break;
        case 'rPh':
          if (inIs) phonetic--;
          break;
        case 'c':
          if (inCell) endCell();
          break;
        case 'row':
          if (inRow) endRow();
          break;
      }
    },
    text: (t) => {
      if (capture === 1) value += t;
      else if (capture === 2) inline += t;
      else return;
      if (value.length + inline.length > limits.cellChars) throw cellTooLarge();
    },
  };

  const text = partText(zip, part, limits.sheetBytes, 'worksheet', counter);
  for await (const _ of parseXml(text, part.name, handlers, limits.cellChars, cellTooLarge)) {
    void _;
    if (done.length >= BATCH_ROWS || doneCells >= BATCH_CELLS) {
      const out = done;
      done = [];
      doneCells = 0;
      yield out;
    }
  }
  if (inRow) endRow();
  if (done.length) yield done;
}
