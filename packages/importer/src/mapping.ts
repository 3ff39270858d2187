import type { FieldDef } from '@outdial/domain/projects';
import { ImportFileError } from './errors.ts';

/**
 * Which column feeds which field. Fixed fields: name, phone (primary), phone2…phone9
 * (extra numbers), timezone, region, tags, external_id; then the project's custom fields
 * by key. Headers are matched case-, space- and width-insensitively, in Chinese or English.
 */
const SYNONYMS: Record<string, readonly string[]> = {
  name: ['name', 'fullname', 'customername', 'contactname', '姓名', '客户姓名', '客户名称', '名字', '联系人', '客户'],
  phone: [
    'phone',
    'mobile',
    'tel',
    'telephone',
    'phonenumber',
    'mobilephone',
    'cellphone',
    'cell',
    'number',
    '手机',
    '手机号',
    '手机号码',
    '电话',
    '电话号码',
    '联系电话',
    '号码',
    '联系方式',
    '移动电话',
  ],
  phone2: [
    'phone2',
    'mobile2',
    'tel2',
    'phones',
    'otherphone',
    'altphone',
    'alternatephone',
    'secondaryphone',
    '电话2',
    '手机2',
    '手机号2',
    '备用电话',
    '备用号码',
    '备用手机',
    '其他电话',
    '其他号码',
    '固话',
    '座机',
    '家庭电话',
    '办公电话',
  ],
  phone3: ['phone3', 'mobile3', 'tel3', '电话3', '手机3', '备用电话2'],
  timezone: ['timezone', 'tz', '时区'],
  region: ['region', 'province', 'city', 'area', 'location', '地区', '区域', '省份', '省', '城市', '所在地', '归属地'],
  tags: ['tags', 'tag', 'labels', 'label', '标签', '客户标签'],
  external_id: [
    'externalid',
    'id',
    'customerid',
    'customerno',
    'clientid',
    '客户编号',
    '编号',
    '客户id',
    '客户号',
    '会员号',
  ],
};

export const FIXED_FIELDS = [
  'name',
  'phone',
  'phone2',
  'phone3',
  'phone4',
  'phone5',
  'phone6',
  'phone7',
  'phone8',
  'phone9',
  'timezone',
  'region',
  'tags',
  'external_id',
] as const;

export function normalizeHeader(h: string): string {
  return h
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .toLowerCase()
    .replace(/[\s_\-:：*()（）]/g, '');
}

export interface ResolvedMapping {
  /** field → column index */
  index: Map<string, number>;
  /** field → column header, as reported to the user */
  byField: Record<string, string>;
  unmapped: string[];
}

/**
 * @param explicit field → column header (from --map or the API); overrides detection.
 *   `phones` is accepted as another name for `phone2`.
 */
export function resolveMapping(
  columns: readonly string[],
  fields: readonly FieldDef[],
  explicit: Record<string, string> = {},
): ResolvedMapping {
  const custom = new Map(fields.map((f) => [f.key, f]));
  const known = new Set<string>([...FIXED_FIELDS, ...custom.keys()]);
  const index = new Map<string, number>();
  const taken = new Map<number, string>();
  const norm = columns.map(normalizeHeader);

  const assign = (field: string, col: number) => {
    const other = taken.get(col);
    if (other !== undefined && other !== field) {
      throw new ImportFileError(
        'duplicate_column',
        `column "${columns[col]}" is mapped to both ${other} and ${field}`,
        { column: columns[col], fields: [other, field] },
      );
    }
    index.set(field, col);
    taken.set(col, field);
  };

  for (const [rawField, header] of Object.entries(explicit)) {
    const field = rawField === 'phones' ? 'phone2' : rawField;
    if (!known.has(field)) {
      throw new ImportFileError(
        'mapping_unknown_field',
        `the mapping names "${rawField}", which is neither a fixed field (${FIXED_FIELDS.join(', ')}) nor a custom field of this project (${[...custom.keys()].join(', ') || 'none'})`,
        { field: rawField },
      );
    }
    let col = columns.findIndex((c) => c.trim() === header.trim());
    if (col < 0) col = norm.indexOf(normalizeHeader(header));
    if (col < 0)
      throw new ImportFileError(
        'mapping_unknown_column',
        `the mapping names column "${header}", which the file does not have (columns: ${columns.join(', ')})`,
        { column: header, columns },
      );
    assign(field, col);
  }

  const claimed = new Set(index.keys());
  const tryField = (field: string, names: readonly string[]) => {
    if (claimed.has(field)) return;
    for (const name of names) {
      const col = norm.indexOf(normalizeHeader(name));
      if (col >= 0 && !taken.has(col)) {
        assign(field, col);
        claimed.add(field);
        return;
      }
    }
  };
  // Custom fields first: a project's own "保单号" beats a generic synonym.
  for (const f of fields) tryField(f.key, [f.key, f.labelZh, f.labelEn]);
  for (const [field, names] of Object.entries(SYNONYMS)) tryField(field, names);

  if (!index.has('phone')) {
    throw new ImportFileError(
      'no_phone_column',
      `no column holds the phone number: name one 手机号/电话/phone, or map it (e.g. --map phone="${columns[0] ?? ''}"). Columns: ${columns.join(', ')}`,
      { columns },
    );
  }
  const missing = fields.filter((f) => f.required && !index.has(f.key));
  if (missing.length) {
    throw new ImportFileError(
      'required_field_unmapped',
      `required field(s) ${missing.map((f) => `${f.labelZh} (${f.key})`).join(', ')} have no column`,
      { fields: missing.map((f) => f.key), columns },
    );
  }
  const byField: Record<string, string> = {};
  for (const [field, col] of index) byField[field] = columns[col]!;
  return { index, byField, unmapped: columns.filter((_, i) => !taken.has(i)) };
}
