import { describe, expect, it } from 'vitest';
import type { FieldDef } from '../projects/types.ts';
import { coerceFieldValue, parseDate, validateFieldTemplate } from './index.ts';

const f = (type: FieldDef['type'], extra: Partial<FieldDef> = {}): FieldDef => ({
  key: 'k',
  labelZh: '字段',
  labelEn: 'Field',
  type,
  required: false,
  ...extra,
});
const value = (def: FieldDef, raw: string) => {
  const r = coerceFieldValue(def, raw);
  return r.ok ? r.value : r.code;
};

describe('coerceFieldValue', () => {
  it('numbers with separators, currency and full-width digits', () => {
    expect(value(f('number'), '1,234.5')).toBe(1234.5);
    expect(value(f('number'), '１２３')).toBe(123);
    expect(value(f('number'), '¥ 800元')).toBe(800);
    expect(value(f('number'), '-3')).toBe(-3);
    expect(value(f('number'), 'abc')).toBe('number_invalid');
    expect(value(f('number'), '1.2.3')).toBe('number_invalid');
    expect(value(f('number'), '１，２３４．５')).toBe(1234.5);
    expect(value(f('number'), '12,345,678')).toBe(12345678);
    expect(value(f('number'), '1.5e3')).toBe(1500);
    expect(value(f('number'), '1,2')).toBe('number_invalid'); // a decimal comma, not twelve
    expect(value(f('number'), '1,23,4')).toBe('number_invalid');
    expect(value(f('number'), '1 2')).toBe(12);
    expect(value(f('number'), '1e999')).toBe('number_invalid');
    expect(value(f('number'), '--1')).toBe('number_invalid');
  });

  it('dates in the usual Chinese and spreadsheet forms', () => {
    expect(parseDate('2024-03-05')).toBe('2024-03-05');
    expect(parseDate('2024/3/5')).toBe('2024-03-05');
    expect(parseDate('2024年3月5日')).toBe('2024-03-05');
    expect(parseDate('20240305')).toBe('2024-03-05');
    expect(parseDate('2024-03-05T10:00:00Z')).toBe('2024-03-05');
    expect(parseDate('45356')).toBe('2024-03-05');
    expect(parseDate('2024-02-30')).toBeNull();
    expect(parseDate('2024-02-29')).toBe('2024-02-29');
    expect(parseDate('2023-02-29')).toBeNull();
    expect(parseDate('1900-02-29')).toBeNull();
    expect(parseDate('2000-02-29')).toBe('2000-02-29');
    expect(parseDate('2024.3.5')).toBe('2024-03-05');
    expect(parseDate('２０２４年３月５日')).toBe('2024-03-05');
    expect(parseDate('2024 年 12 月 31 号')).toBe('2024-12-31');
    expect(parseDate('2024/3/5 14:30')).toBe('2024-03-05');
    expect(parseDate('2024-03/05')).toBeNull();
    expect(parseDate('2024-3-32')).toBeNull();
    expect(parseDate('3/5/2024')).toBeNull(); // ambiguous month/day order: refused
    expect(parseDate('45356.75')).toBe('2024-03-05');
    expect(parseDate('12345')).toBeNull(); // outside the plausible serial range
    expect(parseDate('1899-12-31')).toBeNull();
    expect(parseDate('next week')).toBeNull();
    expect(value(f('date'), '2024-13-01')).toBe('date_invalid');
  });

  it('enums match case-insensitively and return the canonical option', () => {
    const e = f('enum', { options: ['Gold', '普通'] });
    expect(value(e, ' gold ')).toBe('Gold');
    expect(value(e, '普通')).toBe('普通');
    expect(value(e, 'silver')).toBe('enum_invalid');
    expect(value(e, 'ＧＯＬＤ')).toBe('Gold');
    expect(value(e, '普')).toBe('enum_invalid');
    const r = coerceFieldValue(f('enum', { options: ['金卡', '银卡'] }), '铜卡');
    expect(!r.ok && r.message).toBe('字段 (k): "铜卡" is not one of 金卡 / 银卡');
  });

  it('booleans in Chinese and English', () => {
    for (const t of ['是', 'Y', 'yes', 'TRUE', '1', '有']) expect(value(f('boolean'), t)).toBe(true);
    for (const t of ['否', 'n', 'No', 'false', '0', '无']) expect(value(f('boolean'), t)).toBe(false);
    expect(value(f('boolean'), 'maybe')).toBe('boolean_invalid');
    expect(value(f('boolean'), 'Ｙ')).toBe(true);
    expect(value(f('boolean', { required: true }), '')).toBe('required_missing');
  });

  it('required and length rules', () => {
    expect(value(f('text', { required: true }), '  ')).toBe('required_missing');
    expect(value(f('text'), '')).toBeNull();
    expect(value(f('text', { maxLength: 3 }), 'abcd')).toBe('text_too_long');
    expect(value(f('text', { maxLength: 3 }), ' abc ')).toBe('abc');
    expect(value(f('text'), 'x'.repeat(501))).toBe('text_too_long');
    expect(coerceFieldValue(f('text'), undefined)).toEqual({ ok: true, value: null });
    const r = coerceFieldValue(f('number', { key: 'premium', labelZh: '保费' }), 'abc');
    expect(!r.ok && r.message).toBe('保费 (premium): "abc" is not a number (write e.g. 1234.5 or 1,234.5)');
  });
});

describe('validateFieldTemplate', () => {
  it('accepts a good template and lists every problem of a bad one', () => {
    expect(
      validateFieldTemplate([f('text', { key: 'policy_no' }), f('enum', { key: 'tier', options: ['a', 'b'] })], 5),
    ).toEqual([]);
    const issues = validateFieldTemplate(
      [
        f('text', { key: 'Bad Key' }),
        f('text', { key: 'phone' }),
        f('enum', { key: 'e' }),
        f('text', { key: 'x' }),
        f('text', { key: 'x' }),
        f('number', { key: 'n', options: ['1'] }),
      ],
      5,
    );
    expect(issues.map((i) => i.path)).toEqual(['', '0.key', '1.key', '2.options', '4.key', '5.options']);
    expect(validateFieldTemplate([f('text', { key: 'a' }), f('text', { key: 'b' })], 1).map((i) => i.path)).toEqual([
      '',
    ]);
    expect(validateFieldTemplate([f('enum', { key: 'e', options: ['a', 'a'] })], 5).map((i) => i.path)).toEqual([
      '0.options',
    ]);
    expect(
      validateFieldTemplate(
        [f('text', { key: 'a'.repeat(41) }), f('text', { key: '1a' }), f('text', { key: 'phone2' })],
        5,
      ).map((i) => i.path),
    ).toEqual(['0.key', '1.key', '2.key']);
    expect(
      validateFieldTemplate([f('number', { key: 'n', maxLength: 4 }), f('text', { key: 't', labelEn: ' ' })], 5).map(
        (i) => i.path,
      ),
    ).toEqual(['0.maxLength', '1.label']);
  });
});
