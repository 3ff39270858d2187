import { PLACEHOLDER } from './validate.ts';
import type { FieldValue, LocalText } from './types.ts';

/**
 * Fills `{key}` placeholders with the contact's field values (`{name}`, custom fields). A field
 * without a value renders as nothing; text that is not a placeholder (a lone brace, `{ x }`) is
 * left as written.
 */
export function renderText(t: LocalText, fields: Readonly<Record<string, FieldValue | undefined>>): LocalText {
  const fill = (s: string | undefined) =>
    s === undefined
      ? undefined
      : s.replace(PLACEHOLDER, (_m, k: string) => {
          const v = Object.prototype.hasOwnProperty.call(fields, k) ? fields[k] : undefined;
          return v === null || v === undefined ? '' : String(v);
        });
  const out: LocalText = {};
  if (t.zh !== undefined) out.zh = fill(t.zh);
  if (t.en !== undefined) out.en = fill(t.en);
  return out;
}
