const FULL_WIDTH = /[\uff01-\uff5e\u3000]/;
const FULL_WIDTH_ALL = /[\uff01-\uff5e\u3000]/g;
const toHalf = (c: string): string => (c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0));

/**
 * Full-width digits, letters and punctuation (common from Chinese input methods) and the
 * ideographic space to their ASCII forms. Called for every cell of every imported row, so the
 * usual case — nothing full-width — returns the string itself without building a new one.
 */
export function halfWidth(s: string): string {
  return FULL_WIDTH.test(s) ? s.replace(FULL_WIDTH_ALL, toHalf) : s;
}
