/**
 * Writes XLSX workbooks from hand-written XML, for the importer's tests and the import
 * benchmarks: files no spreadsheet program would write (cells without `r=`, zip bombs, a
 * million rows streamed), which exceljs's writer cannot make. Not part of the package's API.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

export const xmlEscape = (s: string): string =>
  s.replace(/[<>&"]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&quot;'));

/** A cell as written by `row()`: text becomes an inline string, a number a numeric cell; null is no cell. */
export type CellSpec = string | number | null | { xml: string };

/** Column letters of a 0-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * One `<row>`: with `refs` (the default) every row and cell carries its `r=` reference as
 * Excel writes it; without, neither does (allowed by the standard: position follows order).
 */
export function row(rowNumber: number, cells: readonly CellSpec[], refs = true): string {
  let out = refs ? `<row r="${rowNumber}">` : '<row>';
  cells.forEach((c, i) => {
    if (c === null) return;
    const r = refs ? ` r="${columnName(i)}${rowNumber}"` : '';
    if (typeof c === 'object') out += c.xml.replace('<c', `<c${r}`);
    else if (typeof c === 'number') out += `<c${r}><v>${c}</v></c>`;
    else out += `<c${r} t="inlineStr"><is><t>${xmlEscape(c)}</t></is></c>`;
  });
  return out + '</row>';
}

export const sheetXml = (rowsXml: string): string =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${MAIN}" xmlns:r="${REL}"><sheetData>${rowsXml}</sheetData></worksheet>`;

export const sharedStringsXml = (strings: readonly string[]): string =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${MAIN}" count="${strings.length}" uniqueCount="${strings.length}">${strings
    .map((s) => `<si><t>${xmlEscape(s)}</t></si>`)
    .join('')}</sst>`;

/** styles.xml whose cellXfs are the given number formats (index = the cell's `s=`). */
export function stylesXml(cellXfNumFmtIds: readonly number[], customFormats: Record<number, string> = {}): string {
  const fmts = Object.entries(customFormats);
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="${MAIN}">` +
    (fmts.length
      ? `<numFmts count="${fmts.length}">${fmts.map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${xmlEscape(code)}"/>`).join('')}</numFmts>`
      : '') +
    `<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>` +
    `<cellXfs count="${cellXfNumFmtIds.length}">${cellXfNumFmtIds.map((id) => `<xf numFmtId="${id}" xfId="0" applyNumberFormat="1"/>`).join('')}</cellXfs>` +
    `</styleSheet>`
  );
}

export interface WorkbookParts {
  /** xl/worksheets/sheet1.xml: a whole document, or a stream of it (big files). */
  sheet: string | Readable;
  sharedStrings?: string | Readable;
  styles?: string;
  /** Extra attributes for `<workbookPr>`, e.g. `date1904="1"`. */
  workbookPr?: string;
  /** Sheets before the list in tab order (chart sheets, or worksheets meant to be read instead). */
  extraSheetsFirst?: { name: string; xml: string; chart?: boolean; hidden?: boolean }[];
  /** Written to the zip as given, after the standard parts. */
  extra?: Record<string, string>;
  /** Deflate level (1–9; 0 stores the parts uncompressed); 9 for bombs. */
  level?: number;
}

/** The zip stream of a workbook (first sheet = `sheet`, unless `extraSheetsFirst`). */
export function xlsxStream(p: WorkbookParts): Readable {
  const zip = new yazl.ZipFile();
  const opts = { compress: p.level !== 0, compressionLevel: p.level ?? 6, mtime: new Date(Date.UTC(2026, 0, 1)) };
  const add = (name: string, content: string | Readable) => {
    if (typeof content === 'string') zip.addBuffer(Buffer.from(content, 'utf8'), name, opts);
    else zip.addReadStream(content, name, opts);
  };
  const extra = p.extraSheetsFirst ?? [];
  const sheets = [
    ...extra.map((s, i) => ({ file: `${s.chart ? 'chartsheets' : 'worksheets'}/x${i + 1}.xml`, ...s })),
    { name: 'list', file: 'worksheets/sheet1.xml', chart: false, hidden: false, xml: '' },
  ];
  add(
    '[Content_Types].xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
  );
  add(
    '_rels/.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
  );
  add(
    'xl/workbook.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${MAIN}" xmlns:r="${REL}"><workbookPr ${p.workbookPr ?? ''}/><sheets>${sheets
      .map(
        (s, i) =>
          `<sheet name="${xmlEscape(s.name)}" sheetId="${i + 1}"${s.hidden ? ' state="hidden"' : ''} r:id="rIdS${i + 1}"/>`,
      )
      .join('')}</sheets></workbook>`,
  );
  add(
    'xl/_rels/workbook.xml.rels',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="${PKG_REL}">${sheets
      .map(
        (s, i) =>
          `<Relationship Id="rIdS${i + 1}" Type="${REL}/${s.chart ? 'chartsheet' : 'worksheet'}" Target="${s.file}"/>`,
      )
      .join(
        '',
      )}<Relationship Id="rIdT" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rIdY" Type="${REL}/styles" Target="/xl/styles.xml"/></Relationships>`,
  );
  // Excel's own order: the sheets before the shared strings and styles.
  extra.forEach((s, i) => add(`xl/${s.chart ? 'chartsheets' : 'worksheets'}/x${i + 1}.xml`, s.xml));
  add('xl/worksheets/sheet1.xml', p.sheet);
  if (p.styles) add('xl/styles.xml', p.styles);
  if (p.sharedStrings) add('xl/sharedStrings.xml', p.sharedStrings);
  for (const [name, content] of Object.entries(p.extra ?? {})) add(name, content);
  zip.end();
  return zip.outputStream as Readable;
}

export async function xlsxBuffer(p: WorkbookParts): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of xlsxStream(p)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function writeXlsxFile(path: string, p: WorkbookParts): Promise<void> {
  await pipeline(xlsxStream(p), createWriteStream(path));
}

/** `total` bytes of `text` repeated, as a stream of ~1 MiB chunks (bomb content). */
export function repeated(text: string, total: number): Readable {
  const block = Buffer.from(text.repeat(Math.ceil((1 << 20) / text.length)));
  let left = total;
  return Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        yield n === block.length ? block : block.subarray(0, n);
      }
    })(),
  );
}

/** A stream of `head`, then `body`, then `tail`. */
export function framed(head: string, body: Readable, tail: string): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(head);
      for await (const c of body) yield c as Buffer;
      yield Buffer.from(tail);
    })(),
  );
}
