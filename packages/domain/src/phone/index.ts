import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max';
import { halfWidth } from '../text/index.ts';

/**
 * Phone numbers to E.164 with libphonenumber's full ("max") metadata: the default "min"
 * metadata accepts mistyped Chinese mobiles by length alone (a 10-digit "138…"), max does not.
 * Pure: the same input always gives the same answer (the one cache below is a memo of a
 * pure function, see `cnMobileType`).
 */

export type PhoneType =
  | 'mobile'
  | 'fixed_line'
  | 'fixed_line_or_mobile'
  | 'toll_free'
  | 'premium_rate'
  | 'shared_cost'
  | 'voip'
  | 'personal_number'
  | 'pager'
  | 'uan'
  | 'voicemail'
  | 'unknown';

export type PhoneErrorCode =
  /** Nothing (or only a placeholder such as 无 / - / N/A) in the cell. */
  | 'phone_empty'
  /** Letters or symbols that are not part of a phone number. */
  | 'phone_not_a_number'
  /** A number with an extension (ext / 转 / x / #): the dialer cannot dial extensions. */
  | 'phone_has_extension'
  /** Fewer digits than any number of that country. */
  | 'phone_too_short'
  /** More digits than any number of that country. */
  | 'phone_too_long'
  /** Right shape of characters, but no such number in the numbering plan (e.g. 10-digit "138…"). */
  | 'phone_invalid'
  /** The default region is not an ISO 3166 code libphonenumber knows. */
  | 'phone_invalid_country';

export type NormalizedPhone =
  { ok: true; e164: string; region: string; type: PhoneType } | { ok: false; code: PhoneErrorCode; message: string };

/** What people type into a phone cell to mean "none". */
const PLACEHOLDERS = new Set([
  '',
  '-',
  '--',
  '---',
  '—',
  '——',
  '无',
  '空',
  '暂无',
  '没有',
  'n/a',
  'na',
  'null',
  'none',
  'nil',
  '/',
  '0',
  '#n/a',
]);

function classify(type: string | undefined): PhoneType {
  switch (type) {
    case 'MOBILE':
      return 'mobile';
    case 'FIXED_LINE':
      return 'fixed_line';
    case 'FIXED_LINE_OR_MOBILE':
      return 'fixed_line_or_mobile';
    case 'TOLL_FREE':
      return 'toll_free';
    case 'PREMIUM_RATE':
      return 'premium_rate';
    case 'SHARED_COST':
      return 'shared_cost';
    case 'VOIP':
      return 'voip';
    case 'PERSONAL_NUMBER':
      return 'personal_number';
    case 'PAGER':
      return 'pager';
    case 'UAN':
      return 'uan';
    case 'VOICEMAIL':
      return 'voicemail';
    default:
      return 'unknown';
  }
}

/**
 * Cheap pre-clean for the common case. Returns the number as `[+]digits` when the text holds
 * only digits (ASCII or full-width), one leading plus (ASCII or full-width) and the
 * separators people use between digit groups (space, ideographic space, tab, `-`, `.`);
 * returns null for anything else (brackets, letters, extensions…), which takes the general
 * path. A hand loop instead of three regex replaces: this runs once per row of a 1M-row file.
 */
function quickClean(raw: string): string | null {
  let out = '';
  let digits = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      out += raw[i];
      digits = true;
    } else if (c >= 0xff10 && c <= 0xff19) {
      out += String.fromCharCode(c - 0xfee0);
      digits = true;
    } else if (c === 32 || c === 9 || c === 0x3000 || c === 45 || c === 46) {
      // separator
    } else if ((c === 43 || c === 0xff0b) && !digits && out === '') {
      out = '+';
    } else {
      return null;
    }
  }
  return out;
}

/** 11 digits starting 1[3-9]: the only shape a Chinese mobile number has. */
function isCnMobileShape(s: string, from: number): boolean {
  if (s.length - from !== 11 || s.charCodeAt(from) !== 49) return false;
  const second = s.charCodeAt(from + 1);
  return second >= 51 && second <= 57;
}

/**
 * Memo for Chinese mobile validity, keyed by the first 7 digits of the national number.
 * Why this is exact (checked against the metadata by phone.test.ts): in the max metadata the
 * CN MOBILE pattern is a union of "1 + a prefix of at most 4 more specific digits + \d{6|8}",
 * so for an 11-digit national number validity and type depend on the first 5 digits only;
 * no other CN number type (fixed line, UAN, toll free, VoIP…) matches an 11-digit number
 * starting with 1[3-9]. Seven digits leave margin for a metadata update that lengthens a
 * prefix. At most 700,000 keys, in practice a few thousand.
 */
const cnMobileCache = new Map<string, PhoneType | null>();

function cnMobileType(national: string): PhoneType | null {
  const key = national.slice(0, 7);
  let type = cnMobileCache.get(key);
  if (type === undefined) {
    const p = parsePhoneNumberFromString(`+86${national}`);
    type = p && p.isValid() ? classify(p.getType()) : null;
    cnMobileCache.set(key, type);
  }
  return type;
}

const supported = new Map<string, boolean>();
/** Whether national-format numbers of this region can be read (an ISO 3166 code libphonenumber knows). */
export function supportedRegion(region: string): boolean {
  let ok = supported.get(region);
  if (ok === undefined) {
    ok = isSupportedCountry(region);
    if (supported.size < 1000) supported.set(region, ok);
  }
  return ok;
}

const shown = (raw: string) => `"${raw.trim()}"`;

/** The full libphonenumber path, for everything that is not a plain Chinese mobile. */
function general(s: string, raw: string, defaultRegion: string): NormalizedPhone {
  let p;
  try {
    p = parsePhoneNumberFromString(s, { defaultCountry: defaultRegion as CountryCode, extract: false });
  } catch {
    p = undefined;
  }
  if (!p) {
    const digits = s.replace(/\D/g, '').length;
    if (digits < 5)
      return { ok: false, code: 'phone_too_short', message: `${shown(raw)} is too short to be a phone number` };
    if (digits > 17)
      return { ok: false, code: 'phone_too_long', message: `${shown(raw)} is too long to be a phone number` };
    return { ok: false, code: 'phone_invalid', message: `${shown(raw)} is not a valid phone number` };
  }
  const country = p.country ?? defaultRegion;
  if (!p.isValid()) {
    // Tell "wrong length for this country" apart from "no such number": a length in between
    // that is simply not allowed (a 10-digit CN mobile) is a mistyped digit, not "too short".
    let why: string | undefined;
    try {
      why = validatePhoneNumberLength(s, defaultRegion as CountryCode);
    } catch {
      why = undefined;
    }
    if (why === 'TOO_SHORT')
      return {
        ok: false,
        code: 'phone_too_short',
        message: `${shown(raw)} has too few digits for a ${country} number`,
      };
    if (why === 'TOO_LONG')
      return {
        ok: false,
        code: 'phone_too_long',
        message: `${shown(raw)} has too many digits for a ${country} number`,
      };
    return {
      ok: false,
      code: 'phone_invalid',
      message: `${shown(raw)} is not a valid ${country} number (mistyped or missing digits?)`,
    };
  }
  return { ok: true, e164: p.number, region: p.country ?? defaultRegion, type: classify(p.getType()) };
}

/**
 * Normalises one phone cell. `defaultRegion` (ISO 3166, e.g. 'CN') applies to numbers
 * written without a country code. Accepts full-width digits, `+86`, `0086`, `86-`, spaces,
 * dashes, dots, brackets and a national `(0)`; refuses extensions (`phone_has_extension`)
 * rather than dialling a switchboard.
 */
export function normalizePhone(raw: string, defaultRegion: string): NormalizedPhone {
  const quick = quickClean(raw);
  if (quick !== null && quick !== '' && quick !== '+' && quick !== '0') {
    // Fast path: plain Chinese mobiles as written in CN lists — 138…, +86138…, 0086138…,
    // 86138… (13 digits, CN default), 0138… (the trunk 0 some people add).
    let from = -1;
    if (quick.startsWith('+86')) from = 3;
    else if (quick.startsWith('0086')) from = 4;
    else if (defaultRegion === 'CN') {
      if (quick.length === 11) from = 0;
      else if (quick.length === 13 && quick.startsWith('86')) from = 2;
      else if (quick.length === 12 && quick.startsWith('01')) from = 1;
    }
    if (from >= 0 && isCnMobileShape(quick, from)) {
      if (!supportedRegion(defaultRegion)) return badCountry(defaultRegion);
      const national = from === 0 ? quick : quick.slice(from);
      const type = cnMobileType(national);
      if (type === null)
        return {
          ok: false,
          code: 'phone_invalid',
          message: `${shown(raw)} is not a valid CN number (mistyped or missing digits?)`,
        };
      return { ok: true, e164: `+86${national}`, region: 'CN', type };
    }
  }
  const trimmed = halfWidth(raw).trim();
  if (PLACEHOLDERS.has(trimmed.toLowerCase())) return { ok: false, code: 'phone_empty', message: 'no phone number' };
  if (!supportedRegion(defaultRegion)) return badCountry(defaultRegion);
  // Strip what people put around numbers: spaces, dashes, dots, brackets, a national "(0)".
  let s = quick ?? trimmed.replace(/\(0\)/g, '').replace(/[\s\-.()[\]（）]/g, '');
  // An extension is not dialable by the dialer: refuse rather than guess.
  if (/(ext\.?|extension|转|分机|x|#)\d+$/i.test(s)) {
    return {
      ok: false,
      code: 'phone_has_extension',
      message: `${shown(raw)} has an extension; give the direct number only`,
    };
  }
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!/^\+?\d+$/.test(s))
    return {
      ok: false,
      code: 'phone_not_a_number',
      message: `${shown(raw)} contains characters that are not part of a phone number`,
    };
  // "86-138…"/"86 21 …" written without + by CN lists: libphonenumber would read the 86 as a
  // national number; the lengths below are those of +86 numbers and of nothing national.
  if (defaultRegion === 'CN' && !s.startsWith('+') && /^86\d{9,12}$/.test(s) && s.length !== 11) s = `+${s}`;
  return general(s, raw, defaultRegion);
}

function badCountry(region: string): NormalizedPhone {
  return {
    ok: false,
    code: 'phone_invalid_country',
    message: `default region "${region}" is not a country code the numbering plan knows`,
  };
}

/**
 * 138****5678 for Chinese mobiles; in general keep the first 3 and last 4 digits of the
 * national number when at least half of it stays hidden, fewer otherwise (10 digits: 2+2,
 * 8–9: 2+2, 6–7: 1+2, shorter: 1+1). The country code, when not +86, is kept: it is not
 * personal, and it tells the agent where the callee is.
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
  const [head, tail] = n >= 11 ? [3, 4] : n >= 8 ? [2, 2] : n >= 6 ? [1, 2] : [1, 1];
  if (n <= head + tail) return cc + '*'.repeat(n);
  return `${cc}${national.slice(0, head)}${'*'.repeat(n - head - tail)}${national.slice(-tail)}`;
}

/** Countries with a single time zone (or one everyone calls by): the callee's zone when the row gives none. */
const SINGLE_ZONE: Readonly<Record<string, string>> = {
  CN: 'Asia/Shanghai',
  HK: 'Asia/Hong_Kong',
  MO: 'Asia/Macau',
  TW: 'Asia/Taipei',
  JP: 'Asia/Tokyo',
  KR: 'Asia/Seoul',
  SG: 'Asia/Singapore',
  MY: 'Asia/Kuala_Lumpur',
  TH: 'Asia/Bangkok',
  VN: 'Asia/Ho_Chi_Minh',
  PH: 'Asia/Manila',
  IN: 'Asia/Kolkata',
  PK: 'Asia/Karachi',
  BD: 'Asia/Dhaka',
  LK: 'Asia/Colombo',
  NP: 'Asia/Kathmandu',
  MM: 'Asia/Yangon',
  KH: 'Asia/Phnom_Penh',
  LA: 'Asia/Vientiane',
  BN: 'Asia/Brunei',
  MN: 'Asia/Ulaanbaatar',
  GB: 'Europe/London',
  IE: 'Europe/Dublin',
  FR: 'Europe/Paris',
  DE: 'Europe/Berlin',
  IT: 'Europe/Rome',
  NL: 'Europe/Amsterdam',
  BE: 'Europe/Brussels',
  CH: 'Europe/Zurich',
  AT: 'Europe/Vienna',
  SE: 'Europe/Stockholm',
  NO: 'Europe/Oslo',
  DK: 'Europe/Copenhagen',
  FI: 'Europe/Helsinki',
  PL: 'Europe/Warsaw',
  CZ: 'Europe/Prague',
  GR: 'Europe/Athens',
  TR: 'Europe/Istanbul',
  HU: 'Europe/Budapest',
  RO: 'Europe/Bucharest',
  BG: 'Europe/Sofia',
  SK: 'Europe/Bratislava',
  HR: 'Europe/Zagreb',
  UA: 'Europe/Kyiv',
  AE: 'Asia/Dubai',
  SA: 'Asia/Riyadh',
  QA: 'Asia/Qatar',
  IL: 'Asia/Jerusalem',
  EG: 'Africa/Cairo',
  ZA: 'Africa/Johannesburg',
  NG: 'Africa/Lagos',
  KE: 'Africa/Nairobi',
  AR: 'America/Argentina/Buenos_Aires',
  CO: 'America/Bogota',
  PE: 'America/Lima',
  VE: 'America/Caracas',
};

/**
 * The time zone of a country with one zone; null for countries spanning several (US, CA,
 * BR, RU, AU, MX, ID, KZ…, and ES/PT/CL/NZ whose numbering plans include islands an hour or
 * more apart) and for unknown codes: the row or the project must say.
 */
export function defaultTimeZoneForRegion(region: string): string | null {
  return SINGLE_ZONE[region.toUpperCase()] ?? null;
}
