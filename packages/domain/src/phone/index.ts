import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Phone numbers to E.164 with libphonenumber's full ("max") metadata: the default "min"
 * metadata accepts mistyped Chinese mobiles by length alone (a 10-digit "138…"), max does not.
 * Pure: the same input always gives the same answer.
 */
export type PhoneType = 'mobile' | 'fixed_line' | 'fixed_line_or_mobile' | 'toll_free' | 'premium_rate' | 'shared_cost' | 'voip' | 'personal_number' | 'pager' | 'uan' | 'voicemail' | 'unknown';

export type PhoneErrorCode =
  /** Nothing (or only a placeholder such as 无 / - / N/A) in the cell. */
  | 'phone_empty'
  /** Letters or symbols that are not part of a phone number. */
  | 'phone_not_a_number'
  | 'phone_too_short'
  | 'phone_too_long'
  /** Right shape of characters, but no such number in the numbering plan (e.g. 10-digit "138…"). */
  | 'phone_invalid'
  /** The default region is not an ISO 3166 code libphonenumber knows. */
  | 'phone_invalid_country';

export type NormalizedPhone =
  | { ok: true; e164: string; region: string; type: PhoneType }
  | { ok: false; code: PhoneErrorCode; message: string };

const PLACEHOLDERS = new Set(['', '-', '--', '—', '无', '空', '暂无', 'n/a', 'na', 'null', 'none', '/', '0']);

/** Full-width digits and punctuation (common in Chinese input methods) to ASCII. */
function halfWidth(s: string): string {
  return s.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}

// Validity of an 11-digit Chinese mobile number depends only on its leading digits
// (the metadata's patterns are prefixes followed by \d{n}); the first 7 digits are more
// than enough. Caching by them makes the common case a string slice and a map lookup.
// The test suite checks the cache against libphonenumber across the whole 1xx range.
const cnMobileCache = new Map<string, PhoneType | null>();
const CN_MOBILE = /^1[3-9]\d{9}$/;

function classify(type: string | undefined): PhoneType {
  switch (type) {
    case 'MOBILE': return 'mobile';
    case 'FIXED_LINE': return 'fixed_line';
    case 'FIXED_LINE_OR_MOBILE': return 'fixed_line_or_mobile';
    case 'TOLL_FREE': return 'toll_free';
    case 'PREMIUM_RATE': return 'premium_rate';
    case 'SHARED_COST': return 'shared_cost';
    case 'VOIP': return 'voip';
    case 'PERSONAL_NUMBER': return 'personal_number';
    case 'PAGER': return 'pager';
    case 'UAN': return 'uan';
    case 'VOICEMAIL': return 'voicemail';
    default: return 'unknown';
  }
}

function slow(input: string, defaultRegion: string): NormalizedPhone {
  let p;
  try {
    p = parsePhoneNumberFromString(input, { defaultCountry: defaultRegion as CountryCode, extract: false });
  } catch {
    p = undefined;
  }
  const digits = input.replace(/\D/g, '').length;
  if (!p) {
    if (digits < 5) return { ok: false, code: 'phone_too_short', message: `"${input}" is too short to be a phone number` };
    if (digits > 17) return { ok: false, code: 'phone_too_long', message: `"${input}" is too long to be a phone number` };
    return { ok: false, code: 'phone_invalid', message: `"${input}" is not a valid phone number` };
  }
  if (!p.isValid()) {
    const possible = p.isPossible();
    const len = p.nationalNumber.length;
    if (!possible && len < 7) return { ok: false, code: 'phone_too_short', message: `"${input}" is too short for a ${p.country ?? defaultRegion} number` };
    if (!possible && len > 12) return { ok: false, code: 'phone_too_long', message: `"${input}" is too long for a ${p.country ?? defaultRegion} number` };
    return { ok: false, code: 'phone_invalid', message: `"${input}" is not a valid ${p.country ?? defaultRegion} number (mistyped or missing digits?)` };
  }
  return { ok: true, e164: p.number, region: p.country ?? defaultRegion, type: classify(p.getType()) };
}

export function normalizePhone(raw: string, defaultRegion: string): NormalizedPhone {
  const trimmed = halfWidth(raw).trim();
  if (PLACEHOLDERS.has(trimmed.toLowerCase())) return { ok: false, code: 'phone_empty', message: 'no phone number' };
  // Strip what people put around numbers: spaces, dashes, dots, brackets, a national "(0)".
  let s = trimmed.replace(/\(0\)/g, '').replace(/[\s\-.()[\]（）]/g, '');
  // An extension is not dialable by the dialer: refuse rather than guess.
  if (/(ext|转|x|#)\d+$/i.test(s)) return { ok: false, code: 'phone_not_a_number', message: `"${raw}" has an extension; put the main number only` };
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!/^\+?\d+$/.test(s)) return { ok: false, code: 'phone_not_a_number', message: `"${raw}" contains characters that are not part of a phone number` };
  if (!isSupportedCountry(defaultRegion)) return { ok: false, code: 'phone_invalid_country', message: `default region "${defaultRegion}" is not a country code the numbering plan knows` };

  // Fast path for Chinese mobiles: 1xxxxxxxxxx, 861xxxxxxxxxx, +861xxxxxxxxxx.
  let national: string | undefined;
  if (s.startsWith('+86')) national = s.slice(3);
  else if (defaultRegion === 'CN') national = s.length === 13 && s.startsWith('86') ? s.slice(2) : s;
  if (national !== undefined && CN_MOBILE.test(national)) {
    const key = national.slice(0, 7);
    let type = cnMobileCache.get(key);
    if (type === undefined) {
      const r = slow(`+86${national}`, 'CN');
      type = r.ok ? r.type : null;
      cnMobileCache.set(key, type);
    }
    if (type === null) return { ok: false, code: 'phone_invalid', message: `"${raw}" is not a valid CN number (mistyped or missing digits?)` };
    return { ok: true, e164: `+86${national}`, region: 'CN', type };
  }
  // "86-138…" written without + in another default region, or a national number.
  if (defaultRegion === 'CN' && !s.startsWith('+') && /^86\d{9,12}$/.test(s) && s.length !== 11) s = `+${s}`;
  const r = slow(s, defaultRegion);
  return r.ok ? r : { ...r, message: r.message.replace(`"${s}"`, `"${raw.trim()}"`) };
}

/**
 * 138****5678 for Chinese mobiles; in general keep the first 3 and last 4 digits of the
 * national number (fewer for short numbers) and star the rest, never showing more than
 * half of the digits. The country code, when not +86, is kept: it is not personal.
 */
export function maskPhone(e164: string): string {
  const m = /^\+(\d+)$/.exec(e164);
  if (!m) return e164.length <= 4 ? '****' : `${e164.slice(0, 2)}****${e164.slice(-2)}`;
  let national = m[1]!;
  let cc = '';
  if (national.startsWith('86')) national = national.slice(2);
  else {
    const p = parsePhoneNumberFromString(e164);
    if (p) {
      cc = `+${p.countryCallingCode} `;
      national = String(p.nationalNumber);
    }
  }
  const n = national.length;
  const head = n >= 11 ? 3 : n >= 8 ? 2 : 1;
  const tail = n >= 11 ? 4 : n >= 8 ? 2 : 1;
  if (n <= head + tail) return cc + '*'.repeat(n);
  return `${cc}${national.slice(0, head)}${'*'.repeat(n - head - tail)}${national.slice(-tail)}`;
}

/** Countries with a single time zone (or one everyone calls by): the callee's zone when the row gives none. */
const SINGLE_ZONE: Record<string, string> = {
  CN: 'Asia/Shanghai', HK: 'Asia/Hong_Kong', MO: 'Asia/Macau', TW: 'Asia/Taipei', JP: 'Asia/Tokyo', KR: 'Asia/Seoul',
  SG: 'Asia/Singapore', MY: 'Asia/Kuala_Lumpur', TH: 'Asia/Bangkok', VN: 'Asia/Ho_Chi_Minh', PH: 'Asia/Manila', IN: 'Asia/Kolkata',
  GB: 'Europe/London', IE: 'Europe/Dublin', FR: 'Europe/Paris', DE: 'Europe/Berlin', IT: 'Europe/Rome', ES: 'Europe/Madrid',
  NL: 'Europe/Amsterdam', BE: 'Europe/Brussels', CH: 'Europe/Zurich', AT: 'Europe/Vienna', SE: 'Europe/Stockholm', NO: 'Europe/Oslo',
  DK: 'Europe/Copenhagen', FI: 'Europe/Helsinki', PL: 'Europe/Warsaw', CZ: 'Europe/Prague', GR: 'Europe/Athens', TR: 'Europe/Istanbul',
  AE: 'Asia/Dubai', SA: 'Asia/Riyadh', IL: 'Asia/Jerusalem', EG: 'Africa/Cairo', ZA: 'Africa/Johannesburg', NG: 'Africa/Lagos',
  KE: 'Africa/Nairobi', NZ: 'Pacific/Auckland', AR: 'America/Argentina/Buenos_Aires', CO: 'America/Bogota', PE: 'America/Lima',
  CL: 'America/Santiago', PT: 'Europe/Lisbon',
};

/** null for countries spanning several zones (US, CA, BR, RU, AU, MX, ID…): the row or project must say. */
export function defaultTimeZoneForRegion(region: string): string | null {
  return SINGLE_ZONE[region] ?? null;
}
