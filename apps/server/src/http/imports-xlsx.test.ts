import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '@outdial/db/testing';
import { framed, repeated, row, sheetXml, xlsxBuffer } from '../../../../packages/importer/src/xlsx-test-support.ts';
import { DEMO_PROJECT } from '../demo.ts';
import { harness, multipart, type Harness } from './testing/harness.ts';

/** XLSX uploads through the API (issue 9, item 9): limits surface as the failed import's code. */

interface Import {
  id: string;
  status: string;
  imported: number;
  invalid: number;
  error: { code: string; message: string; details?: unknown } | null;
}

describe.each(testDatabases())('XLSX uploads on $name', (engine) => {
  let h: Harness;
  let admin: string;
  const auth = () => ({ authorization: `Bearer ${admin}` });

  beforeAll(async () => {
    h = await harness(engine);
    admin = await h.login('admin');
  });
  afterAll(async () => h?.close());

  async function upload(name: string, content: Buffer): Promise<Import> {
    const body = multipart({ name, content });
    const res = await h.app.inject({
      method: 'POST',
      url: `/api/v1/projects/${DEMO_PROJECT}/imports`,
      headers: { ...auth(), ...body.headers },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(202);
    const id = res.json<Import>().id;
    for (let i = 0; i < 600; i++) {
      const imp = (await h.app.inject({ method: 'GET', url: `/api/v1/imports/${id}`, headers: auth() })).json<Import>();
      if (imp.status === 'completed' || imp.status === 'failed') return imp;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('import did not finish');
  }

  it('a workbook written without r= references imports', async () => {
    const bytes = await xlsxBuffer({
      sheet: sheetXml(
        row(1, ['手机号', '保单号', '姓名'], false) +
          row(2, [13512340001, 'X1', '张三'], false) +
          row(3, ['135 1234 0002', 'X2', '李四'], false),
      ),
    });
    expect(await upload('no-refs.xlsx', bytes)).toMatchObject({ status: 'completed', imported: 2, invalid: 0 });
  });

  it('a zip bomb (one cell unpacking to 40 MB) fails with cell_too_large, naming the limit, and leaves no file', async () => {
    const bytes = await xlsxBuffer({
      level: 9,
      sheet: framed(
        `<worksheet><sheetData>${row(1, ['手机号', '保单号'])}<row r="2"><c r="A2" t="inlineStr"><is><t>`,
        repeated('9', 40_000_000),
        '</t></is></c></row></sheetData></worksheet>',
      ),
    });
    const imp = await upload('bomb.xlsx', bytes);
    expect(imp).toMatchObject({ status: 'failed', imported: 0 });
    expect(imp.error).toMatchObject({
      code: 'cell_too_large',
      message: 'cell A2 holds more than 1 Mi characters (the limit for one cell)',
    });
    expect(readdirSync(join(h.config.dataDir, 'uploads'))).toEqual([]);
  });

  it('an over-long row and too many rows fail with their codes', async () => {
    const wide = await xlsxBuffer({
      sheet: sheetXml(
        row(1, ['手机号', '保单号']) +
          row(2, [13512340003, ...Array.from({ length: 12 }, () => randomBytes(50_000).toString('hex'))]),
      ),
    });
    expect((await upload('wide.xlsx', wide)).error).toMatchObject({ code: 'row_too_large' });
    const tall = await xlsxBuffer({
      sheet: sheetXml(row(1, ['手机号', '保单号']) + row(2_000_000, [13512340004, 'X'])),
    });
    expect((await upload('tall.xlsx', tall)).error).toMatchObject({ code: 'too_many_rows' });
  });
});
