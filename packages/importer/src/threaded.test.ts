import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import type { FieldDef } from '@outdial/domain/projects';
import {
  ImportFileError,
  parseContactFile,
  parseContactFileInWorker,
  type ImportSpec,
  type RowOutcome,
} from './index.ts';

const FIELDS: FieldDef[] = [
  { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
  { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
];
const dir = mkdtempSync(join(tmpdir(), 'outdial-threaded-'));
const spec = (extra: Partial<ImportSpec> = {}): ImportSpec => ({
  filename: 'list.csv',
  defaultRegion: 'CN',
  fields: FIELDS,
  ...extra,
});

async function all(batches: AsyncIterable<RowOutcome[]>): Promise<RowOutcome[]> {
  const out: RowOutcome[] = [];
  for await (const b of batches) out.push(...b);
  return out;
}

describe('the parser on a worker thread', () => {
  it('gives the same header, outcomes and progress as in-thread, across many batches', async () => {
    const lines = ['姓名,手机号,保单号,保费,标签'];
    for (let i = 0; i < 6000; i++) {
      const phone =
        i % 97 === 0
          ? '1380013'
          : i % 101 === 0
            ? `138${String(i - 1).padStart(8, '0')}`
            : `+86 138 ${String(i)
                .padStart(8, '0')
                .replace(/(\d{4})(\d{4})/, '$1 $2')}`;
      lines.push(`客户${i},${phone},P${i},"${(i * 3.5).toFixed(2)}",${i % 3 ? 'vip|新' : ''}`);
    }
    const path = join(dir, 'big.csv');
    writeFileSync(path, iconv.encode(lines.join('\r\n'), 'gbk'));

    const inThread = parseContactFile(createReadStream(path), spec());
    const expectedHeader = await inThread.header;
    const expected = await all(inThread.batches);

    const progress: number[] = [];
    const threaded = parseContactFileInWorker(path, spec({ onProgress: (p) => progress.push(p.rowsRead) }));
    expect(await threaded.header).toEqual(expectedHeader);
    const got = await all(threaded.batches);
    expect(got).toEqual(expected);
    expect(got.filter((r) => r.kind === 'invalid').length).toBeGreaterThan(50);
    expect(progress.at(-1)).toBe(6000);
  });

  it('reports a file that cannot be imported with the same error code', async () => {
    const path = join(dir, 'nophone.csv');
    writeFileSync(path, '姓名,备注\n张三,hello\n');
    const threaded = parseContactFileInWorker(path, spec());
    const err = await threaded.header.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportFileError);
    expect((err as ImportFileError).code).toBe('no_phone_column');
    await expect(all(threaded.batches)).rejects.toThrow(ImportFileError);
  });

  it('stops its thread when the consumer stops early', async () => {
    const path = join(dir, 'early.csv');
    writeFileSync(
      path,
      ['手机号,保单号', ...Array.from({ length: 20000 }, (_, i) => `139${String(i).padStart(8, '0')},P${i}`)].join(
        '\n',
      ),
    );
    const threaded = parseContactFileInWorker(path, spec());
    let seen = 0;
    for await (const b of threaded.batches) {
      seen += b.length;
      if (seen > 1000) break;
    }
    expect(seen).toBeGreaterThan(1000);
    expect(seen).toBeLessThan(20000);
  });

  it('ends the import, not the process, when the parser runs out of its heap, and says so', async () => {
    const file = join(dir, 'heap.csv');
    writeFileSync(file, '手机号,保单号\n13800138000,P1\n');
    // A 1 MB heap cannot even load the parser: the same path a hostile file takes.
    const { header, batches } = parseContactFileInWorker(file, spec(), 1);
    const err = await all(batches).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImportFileError);
    expect(err).toMatchObject({ code: 'unpacked_too_large', details: { limitMb: 1 } });
    await expect(header).rejects.toBeInstanceOf(ImportFileError);
  });
});
