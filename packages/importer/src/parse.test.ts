import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ImportFileError, parseContactFile, type ImportSpec, type RowOutcome } from './index.ts';
import { FIELDS, run, verdicts } from './test-support.ts';

const okContacts = (rows: RowOutcome[]) => rows.flatMap((r) => (r.kind === 'ok' ? [r.contact] : []));
async function fileError(content: Buffer | string, spec: Partial<ImportSpec> = {}): Promise<string> {
  try {
    await run(content, spec);
  } catch (err) {
    if (err instanceof ImportFileError) return err.code;
    throw err;
  }
  return 'no error';
}

const HEADER_ZH = '姓名,手机号,保单号,保费,到期日,等级,是否VIP,标签';
const BODY_ZH = [
  '张三,13812345678,P1,"1,200.50",2024/3/5,金卡,是,老客户|高价值',
  '李四,+86 139 1234 5678,P2,800,2024年3月6日,银卡,否,',
];

describe('encodings', () => {
  const csv = [HEADER_ZH, ...BODY_ZH].join('\r\n');
  it.each([
    ['UTF-8', Buffer.from(csv, 'utf8'), 'utf8'],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]), 'utf8-bom'],
    ['GBK', iconv.encode(csv, 'gbk'), 'gb18030'],
    ['GB18030', iconv.encode(csv, 'gb18030'), 'gb18030'],
    ['UTF-16LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(csv, 'utf16le')]), 'utf16le'],
  ])('%s is detected and decoded', async (_name, bytes, encoding) => {
    const { header, rows } = await run(bytes);
    expect(header.encoding).toBe(encoding);
    expect(header.mapping).toMatchObject({ name: '姓名', phone: '手机号', policy_no: '保单号', tags: '标签' });
    const [a, b] = okContacts(rows);
    expect(a).toMatchObject({
      rowNumber: 2,
      name: '张三',
      phones: ['+8613812345678'],
      tags: ['老客户', '高价值'],
      custom: { policy_no: 'P1', premium: 1200.5, expiry: '2024-03-05', tier: '金卡', vip: true },
      timezone: 'Asia/Shanghai',
      region: 'CN',
    });
    expect(b).toMatchObject({
      rowNumber: 3,
      name: '李四',
      phones: ['+8613912345678'],
      custom: { expiry: '2024-03-06', tier: '银卡', vip: false },
    });
  });

  it('GB18030-only characters (outside GBK) survive', async () => {
    const { rows } = await run(iconv.encode('姓名,手机号,保单号\r\n㐀𠀀,13812345678,P1\r\n', 'gb18030'));
    expect(okContacts(rows)[0]!.name).toBe('㐀𠀀');
  });

  it('a GBK character split across chunk boundaries is decoded whole', async () => {
    const bytes = iconv.encode(`${HEADER_ZH}\r\n${BODY_ZH[0]}\r\n`, 'gbk');
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const { rows } = await run(chunks);
    expect(okContacts(rows)[0]!.name).toBe('张三');
  });

  it('a UTF-8 sample cut inside a character is still UTF-8', async () => {
    const body =
      '姓名,手机号,保单号\r\n' +
      Array.from({ length: 5000 }, (_, i) => `王${i},1381${String(i).padStart(7, '0')},P${i}`).join('\r\n');
    const { header, rows } = await run(Buffer.from(body, 'utf8'));
    expect(header.encoding).toBe('utf8');
    expect(okContacts(rows)).toHaveLength(5000);
  });

  it('the encoding can be forced', async () => {
    const { header, rows } = await run(iconv.encode(`${HEADER_ZH}\r\n${BODY_ZH[0]}`, 'gbk'), { encoding: 'gb18030' });
    expect(header.encoding).toBe('gb18030');
    expect(okContacts(rows)[0]!.name).toBe('张三');
  });
});

describe('CSV shapes', () => {
  it('quotes with commas, quotes and line breaks inside; row numbers count records', async () => {
    const csv =
      '姓名,手机号,保单号,备注\r\n"王, 五",13800000001,P1,"说""你好""\r\n第二行"\r\n赵六,13800000002,P2,x\r\n';
    const { rows } = await run(csv);
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'ok'],
    ]);
    expect(okContacts(rows)[0]!.name).toBe('王, 五');
  });

  it.each([[';'], ['\t'], ['|']])('delimiter %j is detected', async (d) => {
    const { rows } = await run(`name${d}phone${d}policy_no\n张三${d}13800000001${d}P1\n`);
    expect(okContacts(rows)[0]).toMatchObject({ name: '张三', phones: ['+8613800000001'] });
  });

  it('empty lines are skipped but keep the numbering; header-only files have no rows', async () => {
    const { rows } = await run('手机号,保单号\n\n13800000001,P1\n,\n13800000002,P2\n');
    expect(verdicts(rows)).toEqual([
      [3, 'ok'],
      [5, 'ok'],
    ]);
    expect((await run('手机号,保单号\r\n')).rows).toEqual([]);
  });

  it('ragged rows: extra or missing cells are refused with the counts; extra empty cells are fine', async () => {
    const { rows } = await run(
      '手机号,保单号,保费\n13800000001,P1,5,oops\n13800000002,P2\n13800000003,P3,,\n13800000004,P4,6\n',
    );
    expect(verdicts(rows)).toEqual([
      [2, 'too_many_columns'],
      [3, 'too_few_columns'],
      [4, 'ok'],
      [5, 'ok'],
    ]);
    expect((rows[1] as Extract<RowOutcome, { kind: 'invalid' }>).message).toContain(
      'row has 2 columns but the header has 3',
    );
    const bad = rows[0] as Extract<RowOutcome, { kind: 'invalid' }>;
    expect(bad.raw).toEqual({ 手机号: '13800000001', 保单号: 'P1', 保费: '5', column4: 'oops' });
  });

  it('huge fields are refused per row; an unclosed quote fails the file clearly', async () => {
    const { rows } = await run(`手机号,保单号,备注\n13800000001,P1,${'x'.repeat(70_000)}\n13800000002,P2,ok\n`);
    expect(verdicts(rows)).toEqual([
      [2, 'field_too_long'],
      [3, 'ok'],
    ]);
    expect(await fileError(`手机号,保单号\n13800000001,"P1\n${'y,'.repeat(600_000)}\n`)).toBe('file_unreadable');
  });
});

describe('phones, duplicates and fields', () => {
  it('the same number in different formats is one contact; the rest say which row came first', async () => {
    const csv = [
      '手机号,保单号',
      '138 1234 5678,P1',
      '+86-138-1234-5678,P2',
      '0086 13812345678,P3',
      '１３８１２３４５６７８,P4',
      '86-138-1234-5678,P5',
      '13912345678,P6',
    ].join('\n');
    const { rows } = await run(csv);
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'dup:2'],
      [4, 'dup:2'],
      [5, 'dup:2'],
      [6, 'dup:2'],
      [7, 'ok'],
    ]);
  });

  it('mistyped mobiles are invalid with the phone reason', async () => {
    const { rows } = await run('手机号,保单号\n1381234567,P1\n138123456789,P2\n无,P3\nabc,P4\n');
    expect(verdicts(rows)).toEqual([
      [2, 'phone_invalid'],
      [3, 'phone_invalid'],
      [4, 'phone_empty'],
      [5, 'phone_not_a_number'],
    ]);
    expect((rows[0] as Extract<RowOutcome, { kind: 'invalid' }>).message).toContain('1381234567');
  });

  it('several numbers: split cells, extra columns, placeholders ignored, bad extras refused', async () => {
    const csv = [
      '手机号,备用电话,保单号',
      '13800000001;13800000002,021-61234567,P1',
      '13800000003,无,P2',
      '13800000004,12345,P3',
      '13800000005,13800000005,P4',
    ].join('\n');
    const { rows } = await run(csv);
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'ok'],
      [4, expect.stringMatching(/^secondary_phone_/)],
      [5, 'ok'],
    ]);
    expect(okContacts(rows)[0]!.phones).toEqual(['+8613800000001', '+8613800000002', '+862161234567']);
    expect(okContacts(rows)[2]!.phones).toEqual(['+8613800000005']);
  });

  it('custom field errors name the field and the value; all problems of a row are listed', async () => {
    const csv = [
      '手机号,保单号,保费,到期日,等级,是否VIP',
      '13800000001,,abc,2024-13-01,铜卡,也许',
      '13800000002,P2,1,2024-01-01,金卡,Y',
    ].join('\n');
    const { rows } = await run(csv);
    expect(verdicts(rows)).toEqual([
      [2, 'required_missing'],
      [3, 'ok'],
    ]);
    const msg = (rows[0] as Extract<RowOutcome, { kind: 'invalid' }>).message;
    for (const part of ['保单号', '保费 (premium): "abc"', '到期日', '铜卡', '也许']) expect(msg).toContain(part);
  });

  it('time zones: from the row when valid, refused when not, from the number otherwise', async () => {
    const { rows } = await run(
      'phone,policy_no,timezone\n+12025550123,P1,America/New_York\n13800000001,P2,Mars/Base\n+12025550124,P3,\n',
      { defaultRegion: 'CN' },
    );
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [3, 'timezone_invalid'],
      [4, 'ok'],
    ]);
    expect(okContacts(rows).map((c) => c.timezone)).toEqual(['America/New_York', null]);
  });
});

describe('mapping', () => {
  it('explicit mapping wins and is reported', async () => {
    const { header, rows } = await run('联系方式,单号,客户\n13800000001,P1,张三\n', {
      mapping: { phone: '联系方式', policy_no: '单号', name: '客户' },
    });
    expect(header.mapping).toEqual({ phone: '联系方式', policy_no: '单号', name: '客户' });
    expect(okContacts(rows)[0]).toMatchObject({ name: '张三', custom: { policy_no: 'P1' } });
  });

  it('English headers, any case and spacing', async () => {
    const { header } = await run('Full Name,Mobile Phone,Policy Number,TAGS\n张三,13800000001,P1,a\n');
    expect(header.mapping).toMatchObject({
      name: 'Full Name',
      phone: 'Mobile Phone',
      policy_no: 'Policy Number',
      tags: 'TAGS',
    });
  });

  it.each([
    ['no phone column', '姓名,保单号\n张三,P1\n', {}, 'no_phone_column'],
    ['unknown field', '手机号,保单号\n1,P\n', { mapping: { nope: '手机号' } }, 'mapping_unknown_field'],
    ['unknown column', '手机号,保单号\n1,P\n', { mapping: { phone: '电话号' } }, 'mapping_unknown_column'],
    [
      'one column two fields',
      '手机号,保单号\n1,P\n',
      { mapping: { phone: '手机号', name: '手机号' } },
      'duplicate_column',
    ],
    ['required field without column', '手机号\n13800000001\n', {}, 'required_field_unmapped'],
    ['empty file', '', {}, 'file_empty'],
    ['only blank lines', '\n\n\n', {}, 'file_empty'],
    ['old Excel', 'x', { filename: 'list.xls' }, 'unsupported_format'],
    ['not a workbook', 'a,b\n', { filename: 'list.xlsx' }, 'file_unreadable'],
  ])('%s → %s', async (_name, content, spec, code) => {
    expect(await fileError(content, spec as Partial<ImportSpec>)).toBe(code);
  });
});

describe('XLSX', () => {
  it('reads numeric phones, dates, rich text and formulas from the first sheet', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名单');
    ws.addRow(['姓名', '手机号', '保单号', '到期日', '保费']);
    ws.addRow([
      { richText: [{ text: '张' }, { text: '三' }] },
      13812345678,
      'P1',
      new Date(Date.UTC(2024, 2, 5)),
      { formula: '1000+200', result: 1200 },
    ]);
    ws.addRow([]);
    ws.addRow(['李四', '139 1234 5678', 'P2', '2024/3/6', 5]);
    ws.addRow(['王五', 1381234567, 'P3', null, null]);
    wb.addWorksheet('ignored').addRow(['手机号']);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const { header, rows } = await run(bytes, { filename: 'list.xlsx' });
    expect(header.format).toBe('xlsx');
    expect(verdicts(rows)).toEqual([
      [2, 'ok'],
      [4, 'ok'],
      [5, 'phone_invalid'],
    ]);
    expect(okContacts(rows)[0]).toMatchObject({
      name: '张三',
      phones: ['+8613812345678'],
      custom: { expiry: '2024-03-05', premium: 1200 },
    });
  });
});

describe('large files', () => {
  it('streams 200,000 generated rows without holding the file', async () => {
    const N = 200_000;
    async function* gen() {
      yield Buffer.from('手机号,保单号,姓名\n');
      let batch = '';
      for (let i = 0; i < N; i++) {
        // every 100th row repeats an earlier number; every 1000th is mistyped
        const n = i % 100 === 99 ? i - 50 : i;
        batch += `${i % 1000 === 999 ? '138' + String(n).padStart(7, '0') : '138' + String(n).padStart(8, '0')},P${i},客户${i}\n`;
        if (batch.length > 64_000) {
          yield Buffer.from(batch);
          batch = '';
        }
      }
      yield Buffer.from(batch);
    }
    let progressCalls = 0;
    const parsed = parseContactFile(gen(), {
      filename: 'big.csv',
      defaultRegion: 'CN',
      fields: FIELDS,
      onProgress: () => {
        progressCalls++;
      },
    });
    const counts: Record<string, number> = {};
    for await (const r of parsed.rows) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
    expect(counts).toEqual({ ok: N - 2000, duplicate_in_file: 1800, invalid: 200 });
    expect(progressCalls).toBeGreaterThanOrEqual(N / 5000);
  });
});
