/**
 * CSV cells for exports people open in Excel or WPS. A cell that starts with = + - @ TAB or CR
 * would be run as a formula ("CSV injection", OWASP), so it is prefixed with a single quote —
 * in the export only; the stored value is unchanged. Plain numbers (+8613812345678, -3, 12.5)
 * are left alone: a number cannot carry a formula, and phone numbers must stay readable.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

export function csvCell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = '';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else if (v instanceof Date) s = v.toISOString();
  else s = JSON.stringify(v) ?? '';
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (CRLF, as Excel writes them). */
export const csvLine = (cells: readonly unknown[]): string => cells.map(csvCell).join(',') + '\r\n';
