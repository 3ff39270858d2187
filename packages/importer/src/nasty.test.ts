import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ImportFileError, parseContactFile, type ImportSpec, type RowOutcome } from './index.ts';
import { FIELDS, run, verdicts } from './test-support.ts';

/** More nasty files, built here byte by byte; every row's verdict and reason is asserted. */

type Invalid = Extract<RowOutcome, { kind: 'invalid' }>;
const okContacts = (rows: RowOutcome[]) => rows.flatMap((r) => (r.kind === 'ok' ? [r.contact] : []));
const messages = (rows: RowOutcome[]) => rows.flatMap((r) => (r.kind === 'invalid' ? [r.message] : []));
async function fileError(content: Buffer | string, spec: Partial<ImportSpec> = {}): Promise<ImportFileError> {
  try {
    await run(content, spec);
  } catch (err) {
    if (err instanceof ImportFileError) return err;
    throw err;
  }
  throw new Error('expected an ImportFileError');
}

describe('encoding decided late', () => {
  it('a GBK file whose first 100 KB are ASCII is still read as GBK', async () => {
    const ascii = Array.from({ length: 4000 }, (_, i) => `Wang ${i},1380${String(i).padStart(7, '0')},P${i}`).join(
      '\r\n',
    );
    const bytes = iconv.encode(`name,phone,policy_no\r\n${ascii}\r\n张三,13912345678,P-张\r\n`, 'gbk');
    const { header, rows } = await run(bytes);
    expect(header.encoding).toBe('ascii'); // nothing but ASCII before the header was mapped
    const last = okContacts(rows).at(-1)!;
    expect(last).toMatchObject({ rowNumber: 4002, name: '张三', custom: { policy_no: 'P-张' } });
    expect(okContacts(rows)).toHaveLength(4001);
  });

  it('UTF-8 with broken bytes later in the file: those rows are refused, not garbled', async () => {
    const good = Buffer.from('姓名,手机号,保单号\n张三,13800000001,P1\n', 'utf8');
    const bad = Buffer.concat([
      Buffer.from('李'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from(',13800000002,P2\n王五,13800000003,P3\n'),
    ]);
    const { header, rows } = await run(Buffer.concat([good, bad]), { encoding: 'utf8' });
    expect(header.encoding).toBe('utf8');
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'text_undecodable'],
      [4, 'ok'],
    ]);
  });

  it('UTF-16BE with BOM', async () => {
    const le = iconv.encode('姓名\t手机号\t保单号\r\n赵六\t13800000001\tP1\r\n', 'utf16le');
    const be = Buffer.from(le);
    be.swap16();
    const { header, rows } = await run(Buffer.concat([Buffer.from([0xfe, 0xff]), be]));
    expect(header.encoding).toBe('utf16be');
    expect(okContacts(rows)[0]).toMatchObject({ name: '赵六', phones: ['+8613800000001'] });
  });

  it('GBK split one byte per chunk right at the BOM-less start', async () => {
    const bytes = iconv.encode('手机号,保单号,姓名\n13800000001,P1,欧阳娜娜\n', 'gb18030');
    const { header, rows } = await run(Array.from(bytes, (b) => Buffer.from([b])));
    expect(header.encoding).toBe('gb18030');
    expect(okContacts(rows)[0]!.name).toBe('欧阳娜娜');
  });
});

describe('file shapes', () => {
  it("blank lines before the header: row numbers stay the file's own", async () => {
    const { rows } = await run('\r\n\r\n手机号,保单号\r\n13800000001,P1\r\n\r\n13800000002,P2');
    expect(verdicts(rows)).toEqual([
      [4, 'ok'],
      [6, 'ok'],
    ]);
  });

  it('embedded newlines push later row numbers by records, not lines', async () => {
    const { rows } = await run('手机号,保单号,备注\n13800000001,P1,"a\nb\nc"\n1380000000,P2,x\n');
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'phone_invalid'],
    ]);
  });

  it('a file without a header row says so', async () => {
    const err = await fileError('张三,13800000001,P1\n李四,13800000002,P2\n');
    expect(err.code).toBe('no_phone_column');
    expect(err.message).toContain('no header row');
    expect(err.details).toMatchObject({ firstRowLooksLikeData: true });
  });

  it('zero bytes and only blank lines are file_empty; a header alone gives no rows', async () => {
    expect((await fileError(Buffer.alloc(0))).code).toBe('file_empty');
    expect((await fileError(' \r\n\r\n ,,\r\n')).code).toBe('file_empty');
    const { header, rows } = await run('\ufeff手机号,保单号,备注');
    expect(header.columns).toEqual(['手机号', '保单号', '备注']);
    expect(header.unmappedColumns).toEqual(['备注']);
    expect(rows).toEqual([]);
  });

  it('duplicate header names stay apart in the raw record of a refused row', async () => {
    const { rows } = await run('手机号,保单号,备注,备注,\n12,P1,a,b,c\n');
    expect((rows[0] as Invalid).raw).toEqual({ 手机号: '12', 保单号: 'P1', 备注: 'a', '备注 (2)': 'b', column5: 'c' });
  });

  it('a huge field is refused with its column; the next row is fine', async () => {
    const { rows } = await run(`手机号,保单号,备注\n13800000001,P1,"${'长'.repeat(70_000)}"\n13800000002,P2,ok\n`);
    expect(verdicts(rows)).toEqual([
      [2, 'field_too_long'],
      [3, 'ok'],
    ]);
    expect(messages(rows)[0]).toContain('column "备注" holds 70000 characters');
  });

  it('trailing whitespace and full-width digits everywhere', async () => {
    const { rows } = await run(
      '手机号 , 保单号 ,保费,到期日\n  １３９ ８８８８ ７７７７  , P1  ,１２３,２０２４年３月５日\n',
    );
    expect(okContacts(rows)[0]).toMatchObject({
      phones: ['+8613988887777'],
      custom: { policy_no: 'P1', premium: 123, expiry: '2024-03-05' },
    });
  });

  it('stopping early releases the file', async () => {
    const parsed = parseContactFile(
      (async function* () {
        yield Buffer.from('手机号,保单号\n');
        for (let i = 0; i < 1000; i++) yield Buffer.from(`1380000${String(i).padStart(4, '0')},P${i}\n`);
      })(),
      { filename: 'x.csv', defaultRegion: 'CN', fields: FIELDS },
    );
    let n = 0;
    for await (const _ of parsed.rows) if (++n === 3) break;
    expect(n).toBe(3);
  });

  it('batches give the same outcomes as rows', async () => {
    const csv = '手机号,保单号\n13800000001,P1\n138,P2\n13800000001,P3\n';
    const parsed = parseContactFile(
      (async function* () {
        yield Buffer.from(csv);
      })(),
      { filename: 'x.csv', defaultRegion: 'CN', fields: FIELDS },
    );
    const all: RowOutcome[] = [];
    for await (const b of parsed.batches) all.push(...b);
    expect(verdicts(all)).toEqual([
      [2, 'ok'],
      [3, 'phone_too_short'],
      [4, 'dup:2'],
    ]);
    expect(() => parsed.rows[Symbol.asyncIterator]()).toThrow(/not both/);
  });
});

describe('rows', () => {
  it('every outcome of a messy GBK list, with reasons', async () => {
    const csv = [
      '客户姓名,联系电话,备用号码,保单号,保费,到期日,等级,是否VIP,标签,时区,客户编号',
      '张三,138-1234-5678,,P1,"1,200",2024/3/5,金卡,是,"老客户，高价值;老客户",,C1', // 2 ok
      '李四,+86 138 1234 5678,,P2,1,2024/3/5,金卡,是,,,C2', // 3 dup of 2
      '王五,1381234567,,P3,1,,,,,,', // 4 10 digits
      '赵六,138123456789,,P4,1,,,,,,', // 5 12 digits
      '钱七,,021-6123 4567,P5,,,,,,,', // 6 primary empty: backup promoted
      '孙八,13900000001,12,P6,,,,,,,', // 7 bad backup
      '周九,13900000002,,P7,1.2.3,2024-02-30,铜卡,也许,,,', // 8 four field problems
      '吴十,13900000003,,,,,,,,,', // 9 required missing
      '郑一,13900000004,,P9,,,,,,Mars/Olympus,', // 10 bad zone
      '冯二,13900000005 / 13900000006、13900000005,,P10,,,银卡,N,,asia/shanghai,', // 11 several numbers in one cell
      '陈三,0086 139 0000 0005,,P11,,,,,,,', // 12 dup of 11
      '褚四,abc,,P12,,,,,,,', // 13 letters
      '卫五,021-61234567转8001,,P13,,,,,,,', // 14 extension
      '蒋六,无,,P14,,,,,,,', // 15 placeholder
    ].join('\r\n');
    const { header, rows } = await run(iconv.encode(csv, 'gbk'));
    expect(header.mapping).toMatchObject({
      name: '客户姓名',
      phone: '联系电话',
      phone2: '备用号码',
      timezone: '时区',
      external_id: '客户编号',
      tags: '标签',
    });
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'dup:2'],
      [4, 'phone_invalid'],
      [5, 'phone_invalid'],
      [6, 'ok'],
      [7, 'secondary_phone_too_short'],
      [8, 'number_invalid'],
      [9, 'required_missing'],
      [10, 'timezone_invalid'],
      [11, 'ok'],
      [12, 'dup:11'],
      [13, 'phone_not_a_number'],
      [14, 'phone_has_extension'],
      [15, 'phone_empty'],
    ]);
    const [a, promoted, several] = okContacts(rows);
    expect(a).toEqual({
      rowNumber: 2,
      name: '张三',
      phones: ['+8613812345678'],
      timezone: 'Asia/Shanghai',
      region: 'CN',
      tags: ['老客户', '高价值'],
      externalId: 'C1',
      custom: { policy_no: 'P1', premium: 1200, expiry: '2024-03-05', tier: '金卡', vip: true },
    });
    expect(promoted).toMatchObject({ rowNumber: 6, phones: ['+862161234567'] });
    expect(several).toMatchObject({
      phones: ['+8613900000005', '+8613900000006'],
      timezone: 'Asia/Shanghai',
      custom: { tier: '银卡', vip: false },
    });
    const dup = rows[1] as Extract<RowOutcome, { kind: 'duplicate_in_file' }>;
    expect(dup).toMatchObject({
      phone: '+8613812345678',
      firstRowNumber: 2,
      raw: { 客户姓名: '李四', 联系电话: '+86 138 1234 5678' },
    });
    const msg = messages(rows);
    expect(msg[0]).toBe('联系电话: "1381234567" is not a valid CN number (mistyped or missing digits?)');
    expect(msg[2]).toContain('备用号码: "12"');
    expect(msg[3]).toBe(
      '保费 (premium): "1.2.3" is not a number (write e.g. 1234.5 or 1,234.5); 到期日 (expiry): "2024-02-30" is not a date (write 2024-03-05); 等级 (tier): "铜卡" is not one of 金卡 / 银卡; 是否VIP (vip): "也许" is not yes/no (是/否)',
    );
    expect(msg[4]).toBe('保单号 (policy_no) is required');
  });
});

describe('XLSX', () => {
  async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    build(wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  it('cells of every kind', async () => {
    const bytes = await workbook((wb) => {
      const ws = wb.addWorksheet('list');
      ws.addRow(['手机号', '保单号', '到期日', '是否VIP', '姓名', '保费']);
      ws.addRow([8613800000001, 'P1', 45356, true, { text: '链接名', hyperlink: 'https://example.com' }, 1234.5]);
      ws.addRow([
        { formula: '13800000000+2', result: 13800000002 },
        { richText: [{ text: 'P' }, { text: '2' }] },
        new Date(Date.UTC(2024, 11, 31)),
        false,
        'x',
      ]);
      ws.addRow([13800000003, 'P3', 'soon', 'maybe']);
      ws.addRow([13800000004, 'P4', null, null, null, null, 'extra']);
      ws.addRow([{ formula: '1/0', result: { error: '#DIV/0!' } }, 'P5']);
    });
    const { header, rows } = await run(bytes, { filename: 'list.XLSX' });
    expect(header).toMatchObject({ format: 'xlsx', encoding: 'xlsx' });
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'ok'],
      [4, 'date_invalid'],
      [5, 'too_many_columns'],
      [6, 'phone_empty'],
    ]);
    const [a, b] = okContacts(rows);
    expect(a).toMatchObject({
      phones: ['+8613800000001'],
      name: '链接名',
      custom: { expiry: '2024-03-05', vip: true, premium: 1234.5 },
    });
    expect(b).toMatchObject({
      phones: ['+8613800000002'],
      custom: { policy_no: 'P2', expiry: '2024-12-31', vip: false },
    });
  });

  it('a workbook without a sheet, and a workbook named .csv by mistake', async () => {
    const empty = await workbook(() => undefined);
    expect((await fileError(empty, { filename: 'list.xlsx' })).code).toBe('no_worksheet');
    const real = await workbook((wb) => wb.addWorksheet('s').addRow(['手机号', '保单号']));
    expect((await fileError(real, { filename: 'list.csv' })).code).toBe('no_phone_column');
  });
});

describe('memory', () => {
  it('reads no further ahead than the consumer (backpressure), over 200,000 rows', async () => {
    const N = 200_000;
    let generated = 0;
    async function* gen() {
      yield iconv.encode('手机号,保单号,姓名\n', 'gbk');
      let batch = '';
      for (let i = 0; i < N; i++) {
        batch += `139${String(i).padStart(8, '0')},P${i},客户${i}\n`;
        if (batch.length > 64_000 || i === N - 1) {
          generated = i + 1;
          yield iconv.encode(batch, 'gbk');
          batch = '';
        }
      }
    }
    const parsed = parseContactFile(gen(), { filename: 'big.csv', defaultRegion: 'CN', fields: FIELDS });
    let consumed = 0;
    let maxAhead = 0;
    for await (const r of parsed.rows) {
      expect(r.kind).toBe('ok');
      consumed++;
      maxAhead = Math.max(maxAhead, generated - consumed);
    }
    expect(consumed).toBe(N);
    // The parser holds at most a couple of chunks (~2,000 rows each here) beyond what was consumed.
    expect(maxAhead).toBeLessThan(10_000);
  });
});
