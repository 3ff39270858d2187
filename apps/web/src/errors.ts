import type { TFunction } from 'i18next';
import { ApiError } from './api/client.ts';
import { LiveError } from './api/live.ts';

const KNOWN = new Set([
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'invalid_state',
  'internal',
  'offline',
]);

/** An error from the API or the live connection, in the user's language (the server's message kept as detail). */
export function errorText(t: TFunction, err: unknown): string {
  if (err instanceof ApiError || err instanceof LiveError) {
    const d = err.details as { zh?: string; en?: string } | undefined;
    const words = t('common.language') === '语言' ? d?.zh : d?.en;
    const message = words ?? err.message;
    return KNOWN.has(err.code) ? t(`errors.${err.code}`, { message }) : t('errors.generic', { message });
  }
  return t('errors.generic', { message: err instanceof Error ? err.message : String(err) });
}
