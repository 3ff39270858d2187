import type { FieldDef } from '../projects/types.ts';
import type { Issue } from '../projects/validate.ts';
import { halfWidth } from '../text/index.ts';

/**
 * Per-project custom fields (seed 002: keep common fields fixed, let each line of business
 * configure a few of its own). Raw cell text → typed value, with a stable code and a
 * message a person can act on when it does not fit.
 */
export type FieldValue = string | number | boolean | null;

export type FieldErrorCode =
  | 'required_missing' // a required field is empty
  | 'text_too_long'
  | 'number_invalid'
  | 'date_invalid'
  | 'enum_invalid' // not one of the options
  | 'boolean_invalid';

export type Coerced = { ok: true; value: FieldValue } | { ok: false; code: FieldErrorCode; message: string };

const KEY = /^[a-z][a-z0-9_]{0,39}$/;
/** Keys of the fixed contact fields: a custom field may not shadow them. */
export const FIXED_FIELD_KEYS = ['name', 'phone', 'phones', 'timezone', 'region', 'tags', 'external_id'] as const;

export function validateFieldTemplate(fields: readonly FieldDef[], maxFields: number): Issue[] {
  const out: Issue[] = [];
  if (fields.length > maxFields)
    out.push({ path: '', message: `at most ${maxFields} custom fields (got ${fields.length})` });
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (!KEY.test(f.key))
      out.push({
        path: `${i}.key`,
        message: 'a key is lower-case letters, digits and _, starting with a letter (max 40)',
      });
    if ((FIXED_FIELD_KEYS as readonly string[]).includes(f.key) || /^phone\d$/.test(f.key))
      out.push({ path: `${i}.key`, message: `"${f.key}" is a fixed field` });
    if (seen.has(f.key)) out.push({ path: `${i}.key`, message: `"${f.key}" appears twice` });
    seen.add(f.key);
    if (!f.labelZh.trim() || !f.labelEn.trim())
      out.push({ path: `${i}.label`, message: 'both labels (Chinese and English) are needed' });
    if (f.type === 'enum' && (!f.options || f.options.length === 0))
      out.push({ path: `${i}.options`, message: 'an enum field lists its options' });
    if (f.type === 'enum' && f.options && new Set(f.options).size !== f.options.length)
      out.push({ path: `${i}.options`, message: 'options must be distinct' });
    if (f.type !== 'enum' && f.options) out.push({ path: `${i}.options`, message: 'only enum fields have options' });
    if (f.maxLength !== undefined && (f.type !== 'text' || !(f.maxLength >= 1)))
      out.push({ path: `${i}.maxLength`, message: 'maxLength ≥ 1, for text fields only' });
  });
  return out;
}

const label = (f: FieldDef) => `${f.labelZh} (${f.key})`;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Y-M-D → "YYYY-MM-DD" when it is a real calendar day in 1900–2200 (arithmetic, no Date: this runs per row). */
function isoDate(y: number, m: number, d: number): string | null {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]!;
  if (d > max) return null;
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

/** Dates as people and spreadsheets write them: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, Excel serials. */
export function parseDate(raw: string): string | null {
  const s = halfWidth(raw).trim();
  // One separator used consistently (2024-03-05, 2024/3/5, 2024.3.5), optionally a time, which is dropped: the date is taken as written.
  let m = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
    s,
  );
  if (m) return isoDate(Number(m[1]), Number(m[3]), Number(m[4]));
  m = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$/.exec(s);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  // Excel's serial day numbers (1900 system): 45000 ≈ 2023-03-15. Only a plausible range.
  if (/^\d{5}(\.\d+)?$/.test(s)) {
    const n = Math.floor(Number(s));
    // 1899-12-30 + n days: Excel's 1900 system including its phantom 1900-02-29, valid from serial 61 on.
    if (n >= 20000 && n <= 80000) return new Date(Date.UTC(1899, 11, 30) + n * 86_400_000).toISOString().slice(0, 10);
  }
  return null;
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** Thousands separators only in groups of three: "1,2" is more likely a decimal comma than 12. */
const GROUPED_NUMBER = /^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[-+]?\.\d+$/;
const SCIENTIFIC = /^[-+]?(\d+\.?\d*|\.\d+)e[-+]?\d+$/i;

/**
 * A number as spreadsheets and people write it: 1234.5, 1,234.5, full-width digits
 * (１，２３４．５), a currency sign or 元, 1.2e5 (Excel's export of big numbers).
 * Null when it is not one number.
 */
export function parseNumber(raw: string): number | null {
  if (PLAIN_NUMBER.test(raw)) return Number(raw);
  const t = halfWidth(raw)
    .trim()
    .replace(/^[¥$€£]\s*/, '')
    .replace(/\s*元$/, '')
    .replace(/\s+/g, '');
  if (!GROUPED_NUMBER.test(t) && !SCIENTIFIC.test(t)) return null;
  const n = Number(t.replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

const TRUE = new Set(['是', '有', '对', 'y', 'yes', 'true', 't', '1', '√', '✓']);
const FALSE = new Set(['否', '无', '没有', '不是', 'n', 'no', 'false', 'f', '0', '×', '✗']);

export function coerceFieldValue(f: FieldDef, raw: string | undefined): Coerced {
  const s = raw === undefined ? '' : raw.trim();
  if (s === '') {
    return f.required
      ? { ok: false, code: 'required_missing', message: `${label(f)} is required` }
      : { ok: true, value: null };
  }
  switch (f.type) {
    case 'text': {
      const max = f.maxLength ?? 500;
      if (s.length > max)
        return { ok: false, code: 'text_too_long', message: `${label(f)} is longer than ${max} characters` };
      return { ok: true, value: s };
    }
    case 'number': {
      const n = parseNumber(s);
      if (n === null)
        return {
          ok: false,
          code: 'number_invalid',
          message: `${label(f)}: "${s}" is not a number (write e.g. 1234.5 or 1,234.5)`,
        };
      return { ok: true, value: n };
    }
    case 'date': {
      const d = parseDate(s);
      return d
        ? { ok: true, value: d }
        : { ok: false, code: 'date_invalid', message: `${label(f)}: "${s}" is not a date (write 2024-03-05)` };
    }
    case 'enum': {
      // Trimmed, case- and width-insensitive ("ＧＯＬＤ", " gold " → "Gold"); the stored value is the option as defined.
      const want = halfWidth(s).toLowerCase();
      const hit =
        (f.options ?? []).find((o) => o === s) ??
        (f.options ?? []).find((o) => halfWidth(o).trim().toLowerCase() === want);
      return hit !== undefined
        ? { ok: true, value: hit }
        : {
            ok: false,
            code: 'enum_invalid',
            message: `${label(f)}: "${s}" is not one of ${(f.options ?? []).join(' / ')}`,
          };
    }
    case 'boolean': {
      const v = halfWidth(s).toLowerCase();
      if (TRUE.has(v)) return { ok: true, value: true };
      if (FALSE.has(v)) return { ok: true, value: false };
      return { ok: false, code: 'boolean_invalid', message: `${label(f)}: "${s}" is not yes/no (是/否)` };
    }
  }
}
