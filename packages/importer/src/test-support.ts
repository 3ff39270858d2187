/** What the importer's tests share: a project's custom fields and a parse that collects everything. */
import type { FieldDef } from '@outdial/domain/projects';
import { parseContactFile, type ImportSpec, type RowOutcome } from './index.ts';

export const FIELDS: FieldDef[] = [
  { key: 'policy_no', labelZh: '保单号', labelEn: 'Policy number', type: 'text', required: true },
  { key: 'premium', labelZh: '保费', labelEn: 'Premium', type: 'number', required: false },
  { key: 'expiry', labelZh: '到期日', labelEn: 'Expiry', type: 'date', required: false },
  { key: 'tier', labelZh: '等级', labelEn: 'Tier', type: 'enum', required: false, options: ['金卡', '银卡'] },
  { key: 'vip', labelZh: '是否VIP', labelEn: 'VIP', type: 'boolean', required: false },
];

/** Parses `content` (one buffer, a string, or chunks as a stream would deliver them) with FIELDS; returns the header and every row. */
export async function run(content: Buffer | string | Buffer[], spec: Partial<ImportSpec> = {}) {
  const chunks = Array.isArray(content) ? content : [typeof content === 'string' ? Buffer.from(content) : content];
  const parsed = parseContactFile(
    (async function* () {
      yield* chunks;
    })(),
    { filename: 'list.csv', defaultRegion: 'CN', fields: FIELDS, ...spec },
  );
  const header = await parsed.header;
  const rows: RowOutcome[] = [];
  for await (const r of parsed.rows) rows.push(r);
  return { header, rows };
}

/** Each row as [row number, 'ok' | error code | 'dup:<first row>']. */
export const verdicts = (rows: RowOutcome[]) =>
  rows.map((r) =>
    r.kind === 'ok'
      ? [r.contact.rowNumber, 'ok']
      : r.kind === 'invalid'
        ? [r.rowNumber, r.code]
        : [r.rowNumber, `dup:${r.firstRowNumber}`],
  );
