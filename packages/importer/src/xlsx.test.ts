import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { ImportFileError, isDateFormat, parseContactFileInWorker, type ImportSpec, type RowOutcome } from './index.ts';
import { FIELDS, run, verdicts } from './test-support.ts';
import {
  framed,
  repeated,
  row,
  sharedStringsXml,
  sheetXml,
  stylesXml,
  xlsxBuffer,
  type WorkbookParts,
} from './xlsx-test-support.ts';

/** The XLSX reader (ADR 0014) on files written by hand: layouts Excel does not write, and hostile ones. */

const okContacts = (rows: RowOutcome[]) => rows.flatMap((r) => (r.kind === 'ok' ? [r.contact] : []));
const xlsx = (parts: WorkbookParts) => xlsxBuffer(parts);
const parse = (bytes: Buffer, spec: Partial<ImportSpec> = {}) => run(bytes, { filename: 'list.xlsx', ...spec });
async function fileError(bytes: Buffer, spec: Partial<ImportSpec> = {}): Promise<ImportFileError> {
  try {
    await parse(bytes, spec);
  } catch (err) {
    if (err instanceof ImportFileError) return err;
    throw err;
  }
  throw new Error('expected an ImportFileError');
}
const HEADER = ['手机号', '保单号', '姓名'];

describe('XLSX written without r= references', () => {
  it('imports rows and cells that carry no r= (position follows order)', async () => {
    const bytes = await xlsx({
      sheet: sheetXml(
        row(1, HEADER, false) +
          row(2, ['13800000001', 'P1', '张三'], false) +
          row(3, [13800000002, 'P2', '李四'], false) +
          // an empty cell element keeps the position of the ones after it
          '<row><c t="inlineStr"><is><t>13800000003</t></is></c><c/><c t="inlineStr"><is><t>王五</t></is></c></row>',
      ),
    });
    const { header, rows } = await parse(bytes);
    expect(header.columns).toEqual(HEADER);
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'ok'],
      [4, 'required_missing'],
    ]);
    expect(okContacts(rows).map((c) => [c.phones[0], c.custom['policy_no'], c.name])).toEqual([
      ['+8613800000001', 'P1', '张三'],
      ['+8613800000002', 'P2', '李四'],
    ]);
  });

  it('mixes: rows numbered with gaps, cells unnumbered; a row without r= numbered by its cells', async () => {
    const bytes = await xlsx({
      sheet: sheetXml(
        row(1, HEADER) +
          '<row r="5"><c><v>13800000005</v></c><c t="inlineStr"><is><t>P5</t></is></c></row>' +
          '<row><c r="A9"><v>13800000009</v></c><c r="B9" t="inlineStr"><is><t>P9</t></is></c></row>' +
          '<row><c><v>13800000010</v></c><c t="inlineStr"><is><t>P10</t></is></c></row>',
      ),
    });
    expect(verdicts((await parse(bytes)).rows)).toEqual([
      [5, 'ok'],
      [9, 'ok'],
      [10, 'ok'],
    ]);
  });

  it('parts stored without compression, read in many chunks, with progress counted', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(i + 2, [13800000000 + i, `P${i}`, `客户${i}`])).join('');
    const bytes = await xlsx({ level: 0, sheet: sheetXml(row(1, HEADER) + rows) });
    let progress = 0;
    const { rows: out } = await parse(bytes, { onProgress: (p) => (progress = p.bytesRead) });
    expect(out).toHaveLength(3000);
    expect(okContacts(out).at(-1)).toMatchObject({ rowNumber: 3001, name: '客户2999' });
    expect(progress).toBeGreaterThan(150_000); // the stored sheet's bytes
  });

  it('namespace-prefixed elements (x:row, x:c) as some libraries write them', async () => {
    const sheet = `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>${(
      row(1, HEADER, false) + row(2, ['13800000001', 'P1'], false)
    ).replace(/<(\/?)(row|c|is|t|v)\b/g, '<$1x:$2')}</x:sheetData></x:worksheet>`;
    expect(verdicts((await parse(await xlsx({ sheet }))).rows)).toEqual([[2, 'ok']]);
  });
});

describe('cell values', () => {
  it('shared strings with rich runs (phonetic runs left out), escapes, booleans, errors, formulas', async () => {
    const sst =
      '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
      '<si><t>手机号</t></si><si><t>保单号</t></si><si><t>是否VIP</t></si><si><t>姓名</t></si>' +
      '<si><r><rPr><b/></rPr><t>张</t></r><r><t xml:space="preserve">三</t></r><rPh sb="0" eb="1"><t>ちょう</t></rPh></si>' +
      '<si><t>P_x000D_1</t></si><si><t>P_x005F_x0041_</t></si></sst>';
    const s = (i: number) => ({ xml: `<c t="s"><v>${i}</v></c>` });
    const bytes = await xlsx({
      sharedStrings: sst,
      sheet: sheetXml(
        row(1, [s(0), s(1), s(2), s(3)]) +
          row(2, [13800000001, s(5), { xml: '<c t="b"><v>1</v></c>' }, s(4)]) +
          row(3, [
            { xml: '<c><f>13800000000+2</f><v>13800000002</v></c>' },
            s(6),
            { xml: '<c t="b"><v>0</v></c>' },
            { xml: '<c t="e"><v>#N/A</v></c>' },
          ]) +
          row(4, [{ xml: '<c t="str"><f>A1</f><v>13800000004</v></c>' }, { xml: '<c t="str"><v>P4</v></c>' }]),
      ),
    });
    const { rows } = await parse(bytes);
    expect(okContacts(rows).map((c) => [c.phones[0], c.name, c.custom])).toEqual([
      ['+8613800000001', '张三', { policy_no: 'P\r1', vip: true }],
      ['+8613800000002', null, { policy_no: 'P_x0041_', vip: false }],
      ['+8613800000004', null, { policy_no: 'P4', vip: null }],
    ]);
  });

  it('dates by style: built-in (14, and 31 = yyyy"年"m"月"d"日" of Chinese Excel), custom formats, the 1904 system; numbers stay numbers', async () => {
    const styles = stylesXml([0, 14, 31, 164, 165, 2], { 164: 'yyyy/mm/dd hh:mm', 165: '"¥"#,##0.00' });
    const make = (workbookPr?: string) =>
      xlsx({
        styles,
        ...(workbookPr ? { workbookPr } : {}),
        sheet: sheetXml(
          row(1, ['手机号', '保单号', '到期日', '保费']) +
            row(2, [13800000001, 'P1', { xml: '<c s="1"><v>45356</v></c>' }, { xml: '<c s="5"><v>1234.5</v></c>' }]) +
            row(3, [13800000002, 'P2', { xml: '<c s="2"><v>45357</v></c>' }, { xml: '<c s="4"><v>99</v></c>' }]) +
            row(4, [13800000003, 'P3', { xml: '<c s="3"><v>45358.5</v></c>' }]) +
            row(5, [{ xml: '<c s="1"><v>13800000004</v></c>' }, 'P4']) + // a date style on a phone: out of range, kept as a number
            row(6, [13800000005, 'P5', { xml: '<c t="d"><v>2024-03-09T00:00:00Z</v></c>' }]),
        ),
      });
    const { rows } = await parse(await make());
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'ok'],
      [4, 'ok'],
      [5, 'ok'],
      [6, 'ok'],
    ]);
    expect(okContacts(rows).map((c) => [c.phones[0], c.custom['expiry'] ?? null, c.custom['premium'] ?? null])).toEqual(
      [
        ['+8613800000001', '2024-03-05', 1234.5],
        ['+8613800000002', '2024-03-06', 99],
        ['+8613800000003', '2024-03-07', null], // shown as date and time; the time is dropped
        ['+8613800000004', null, null],
        ['+8613800000005', '2024-03-09', null],
      ],
    );
    const in1904 = await parse(await make('date1904="1"'));
    expect(okContacts(in1904.rows)[0]!.custom['expiry']).toBe('2028-03-06');
  });

  it('date format detection', () => {
    for (const f of ['yyyy-mm-dd', 'm/d/yy', 'h:mm AM/PM', '[$-804]yyyy"年"m"月"d"日";@', '[h]:mm:ss', 'dd-mmm'])
      expect([f, isDateFormat(f)]).toEqual([f, true]);
    for (const f of ['General', '0.00', '#,##0', '"¥"#,##0.00', '0.00E+00', '[Red]#,##0', '"days"0', '@'])
      expect([f, isDateFormat(f)]).toEqual([f, false]);
  });

  it('reads the first visible worksheet in tab order, past a chart sheet and a hidden sheet', async () => {
    const other = sheetXml(row(1, ['手机号', '保单号']) + row(2, [13900000000, 'WRONG']));
    const bytes = await xlsx({
      extraSheetsFirst: [{ name: 'chart', xml: '<chartsheet/>', chart: true }],
      sheet: sheetXml(row(1, ['手机号', '保单号']) + row(2, [13800000000, 'RIGHT'])),
    });
    expect(okContacts((await parse(bytes)).rows)[0]!.custom['policy_no']).toBe('RIGHT');
    const behindHidden = await xlsx({
      extraSheetsFirst: [{ name: 'old', xml: other, hidden: true }],
      sheet: sheetXml(row(1, ['手机号', '保单号']) + row(2, [13800000000, 'RIGHT'])),
    });
    expect(okContacts((await parse(behindHidden)).rows)[0]!.custom['policy_no']).toBe('RIGHT');
    const visibleFirst = await xlsx({ extraSheetsFirst: [{ name: 'first', xml: other }], sheet: sheetXml('') });
    expect(okContacts((await parse(visibleFirst)).rows)[0]!.custom['policy_no']).toBe('WRONG');
  });
});

describe('limits (each refused with a code and a message naming the limit)', () => {
  it('a zip bomb: 64 MB of one cell in a ~64 KB file is stopped after about one cell limit, memory bounded', async () => {
    const cell = 64_000_000;
    const bytes = await xlsx({
      level: 9,
      sheet: framed(
        `<worksheet><sheetData>${row(1, HEADER)}<row r="2"><c r="A2"><v>13800000001</v></c><c r="B2" t="inlineStr"><is><t>`,
        repeated('A', cell),
        '</t></is></c></row></sheetData></worksheet>',
      ),
    });
    expect(bytes.length).toBeLessThan(cell / 500);
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    const e = await fileError(bytes);
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(e.code).toBe('cell_too_large');
    expect(e.message).toBe('cell B2 holds more than 1 Mi characters (the limit for one cell)');
    expect(e.details).toMatchObject({ row: 2, limitChars: 1024 * 1024 });
    // Holding the cell would take at least its 64 MB (more as a string); the reader stops near 1 MiB.
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('the same bomb in the shared strings, and a part whose declared size is over the limit', async () => {
    const sst = framed(
      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>',
      repeated('B', 8_000_000),
      '</t></si></sst>',
    );
    const bytes = await xlsx({
      level: 9,
      sharedStrings: sst,
      sheet: sheetXml(row(1, HEADER) + row(2, [13800000001, { xml: '<c t="s"><v>0</v></c>' }])),
    });
    const e = await fileError(bytes);
    expect([e.code, e.message]).toEqual([
      'cell_too_large',
      'shared string #1 holds more than 1 Mi characters (the limit for one cell)',
    ]);
    const declared = await fileError(bytes, { xlsxLimits: { sharedStringsBytes: 4 * 1024 * 1024 } });
    expect(declared.code).toBe('unpacked_too_large');
    expect(declared.message).toBe(
      'the shared-strings table (xl/sharedStrings.xml) unpacks to 8,000,093 bytes — more than the limit of 4 MiB unpacked; split the list into smaller files',
    );
    const sheet = await fileError(bytes, { xlsxLimits: { sheetBytes: 100 } });
    expect([sheet.code, sheet.details]).toEqual([
      'unpacked_too_large',
      { part: 'xl/worksheets/sheet1.xml', limitBytes: 100 },
    ]);
  });

  it('a zip whose header understates the unpacked size is stopped at the stated size', async () => {
    const bytes = await xlsx({
      level: 9,
      sheet: framed(`<worksheet><sheetData>${row(1, HEADER)}`, repeated(row(2, [13800000001, 'P']), 50_000_000), ''),
    });
    // Rewrite the sheet's uncompressed size in the central directory to 1,000 bytes.
    const name = Buffer.from('xl/worksheets/sheet1.xml');
    for (let i = bytes.length - 46; i >= 0; i--) {
      if (bytes.readUInt32LE(i) !== 0x02014b50) continue;
      if (bytes.subarray(i + 46, i + 46 + name.length).equals(name)) {
        bytes.writeUInt32LE(1000, i + 24);
        break;
      }
    }
    const e = await fileError(bytes);
    expect(e.code).toBe('file_unreadable');
    expect(e.message).toContain('unpacks to more than the 1000 bytes its header says');
  });

  it('an over-long cell: over 64 Ki characters refuses the row, over 1 Mi the file', async () => {
    const long = randomBytes(50_000).toString('hex'); // 100,000 characters, incompressible
    const bytes = await xlsx({
      sheet: sheetXml(row(1, HEADER) + row(2, [13800000001, 'P1', long]) + row(3, [13800000002, 'P2', '李四'])),
    });
    const { rows } = await parse(bytes);
    expect(verdicts(rows)).toEqual([
      [2, 'field_too_long'],
      [3, 'ok'],
    ]);
    const huge = await xlsx({
      sheet: sheetXml(row(1, HEADER) + row(2, [13800000001, 'P1', randomBytes(600_000).toString('hex')])),
    });
    expect((await fileError(huge)).message).toBe('cell C2 holds more than 1 Mi characters (the limit for one cell)');
  });

  it('a row whose cells together are too large, also through one shared string used many times', async () => {
    const s = 'x'.repeat(60_000);
    const bytes = await xlsx({
      sharedStrings: sharedStringsXml([s]),
      sheet: sheetXml(
        row(1, HEADER) + row(2, [13800000001, ...Array.from({ length: 20 }, () => ({ xml: '<c t="s"><v>0</v></c>' }))]),
      ),
    });
    const e = await fileError(bytes);
    expect([e.code, e.message]).toEqual([
      'row_too_large',
      'row 2 holds more than 1 Mi characters (the limit for one row)',
    ]);
    // Small rows, but every one expands the same string: the sheet's total is bounded.
    const many = await xlsx({
      sharedStrings: sharedStringsXml([s]),
      sheet: sheetXml(
        row(1, HEADER) +
          Array.from({ length: 100 }, (_, i) => row(i + 2, [13800000000 + i, { xml: '<c t="s"><v>0</v></c>' }])).join(
            '',
          ),
      ),
    });
    const total = await fileError(many, { xlsxLimits: { sheetChars: 1_000_000 } });
    expect(total.code).toBe('unpacked_too_large');
    expect(total.message).toMatch(/^the sheet's cells hold more than 1,000,000 characters of text \(the limit;/);
  });

  it('too many rows, too many columns, too many zip entries', async () => {
    const beyond = await xlsx({ sheet: sheetXml(row(1, HEADER) + row(1_048_577, [13800000001, 'P'])) });
    const rows = await fileError(beyond);
    expect([rows.code, rows.message]).toEqual([
      'too_many_rows',
      'the sheet has a row 1,048,577; at most 1,048,576 rows are read (the limit): split the list into several files',
    ]);
    const unnumbered = await xlsx({
      sheet: sheetXml(Array.from({ length: 30 }, (_, i) => row(i + 1, [13800000000 + i, 'P'], false)).join('')),
    });
    expect((await fileError(unnumbered, { xlsxLimits: { rows: 20 } })).details).toEqual({ row: 21, limitRows: 20 });
    const wide = await xlsx({
      sheet: sheetXml(row(1, HEADER) + '<row r="2"><c r="A2"><v>13800000001</v></c><c r="XFE2"><v>1</v></c></row>'),
    });
    const cols = await fileError(wide);
    expect([cols.code, cols.message]).toEqual([
      'sheet_too_wide',
      'row 2 has a cell in column XFE; at most 16,384 columns are read (the limit)',
    ]);
    const entries = await fileError(
      await xlsx({ sheet: sheetXml(row(1, HEADER)), extra: { 'a.xml': '<a/>', 'b.xml': '<b/>' } }),
      { xlsxLimits: { zipEntries: 5 } },
    );
    expect([entries.code, entries.message]).toEqual([
      'unpacked_too_large',
      'the workbook holds more than 5 files (the limit)',
    ]);
  });

  it('a value in column XFD of a refused row is kept, but not 16,000 empty columns before it', async () => {
    const bytes = await xlsx({
      sheet: sheetXml(row(1, HEADER) + '<row r="2"><c r="A2"><v>13800000001</v></c><c r="XFD2"><v>7</v></c></row>'),
    });
    const r = (await parse(bytes)).rows[0]!;
    expect(r).toMatchObject({ kind: 'invalid', code: 'too_many_columns' });
    expect(r.kind === 'invalid' && r.raw).toEqual({ 手机号: '13800000001', 保单号: '', 姓名: '', column16384: '7' });
  });
});

describe('damaged and hostile workbooks', () => {
  it.each([
    ['rows out of order', row(1, HEADER) + row(3, [1, 'a']) + row(2, [1, 'b']), 'row 2 comes after row 3'],
    ['a row repeated', row(1, HEADER) + row(2, [1, 'a']) + row(2, [1, 'b']), 'row 2 comes after row 2'],
    [
      'cells out of order',
      row(1, HEADER) + '<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>2</v></c></row>',
      'cell A comes after B',
    ],
    [
      'a missing shared string',
      row(1, HEADER) + row(2, [{ xml: '<c t="s"><v>7</v></c>' }]),
      'shared string #7, which does not exist',
    ],
    [
      'an entity the document does not define',
      row(1, HEADER) + row(2, ['&lol;']).replace('&amp;lol;', '&lol;'),
      'not well-formed XML',
    ],
    ['a DOCTYPE with entities (billion laughs)', row(1, HEADER), 'not well-formed XML'],
    ['cut short', row(1, HEADER) + '<row r="2"><c r="A2"><v>1', 'not well-formed XML'],
  ])('%s → file_unreadable', async (name, rowsXml, says) => {
    let sheet = sheetXml(rowsXml);
    if (name.startsWith('a DOCTYPE'))
      sheet = sheet
        .replace(
          '<worksheet',
          '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet',
        )
        .replace('<sheetData>', '<sheetData><row r="2"><c r="A2" t="inlineStr"><is><t>&b;</t></is></c></row>');
    if (name === 'cut short') sheet = sheet.replace('</sheetData></worksheet>', '');
    const e = await fileError(await xlsx({ sheet }));
    expect(e.code).toBe('file_unreadable');
    expect(e.message).toContain(says);
  });

  it('an old .xls (or encrypted) compound file, a ZIP that is not a workbook, a workbook without a sheet', async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]);
    expect((await fileError(ole)).message).toMatch(/old-style \(\.xls\) or password-protected/);
    const notWorkbook = (await xlsx({ sheet: sheetXml('') }))
      .toString('latin1')
      .replaceAll('xl/workbook.xml', 'xl/workbooq.xml');
    expect((await fileError(Buffer.from(notWorkbook, 'latin1'))).code).toBe('file_unreadable');
    const wb = new ExcelJS.Workbook();
    const empty = Buffer.from(await wb.xlsx.writeBuffer());
    expect((await fileError(empty)).code).toBe('no_worksheet');
  });

  it('every truncation and many corruptions of a real workbook end in an ImportFileError, never anything else', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名单');
    ws.addRow(['手机号', '保单号', '姓名']);
    for (let i = 0; i < 50; i++) ws.addRow([13800000000 + i, `P${i}`, `客户${i}`]);
    const good = Buffer.from(await wb.xlsx.writeBuffer());
    expect(okContacts((await parse(good)).rows)).toHaveLength(50);
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const variants: Buffer[] = [];
    for (let cut = 1; cut < good.length; cut += Math.ceil(good.length / 40)) variants.push(good.subarray(0, cut));
    for (let k = 0; k < 60; k++) {
      const b = Buffer.from(good);
      for (let j = 0; j < 3; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      variants.push(b);
    }
    for (const v of variants) {
      try {
        await parse(v);
      } catch (err) {
        if (!(err instanceof ImportFileError)) throw err;
      }
    }
  });
});

describe('on the worker thread, by path', () => {
  it('reads the file itself and reports a limit with its code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-xlsx-'));
    const good = join(dir, 'ok.xlsx');
    writeFileSync(good, await xlsx({ sheet: sheetXml(row(1, HEADER, false) + row(2, [13800000001, 'P1'], false)) }));
    const spec: ImportSpec = { filename: 'ok.xlsx', defaultRegion: 'CN', fields: FIELDS };
    const ok = parseContactFileInWorker(good, spec);
    expect((await ok.header).format).toBe('xlsx');
    const got: RowOutcome[] = [];
    for await (const b of ok.batches) got.push(...b);
    expect(verdicts(got)).toEqual([[2, 'ok']]);
    const bad = join(dir, 'bad.xlsx');
    writeFileSync(bad, await xlsx({ sheet: sheetXml(row(1, HEADER) + row(3, [1]) + row(2, [1])) }));
    const failed = parseContactFileInWorker(bad, { ...spec, xlsxLimits: { rows: 2 } });
    await expect(failed.header).rejects.toMatchObject({ name: 'ImportFileError', code: 'too_many_rows' });
  });
});
