import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { defaultTimeZoneForRegion, maskPhone, normalizePhone } from './index.ts';

const ok = (raw: string, region = 'CN') => {
  const r = normalizePhone(raw, region);
  if (!r.ok) throw new Error(`${raw}: ${r.code} ${r.message}`);
  return r.e164;
};
const code = (raw: string, region = 'CN') => {
  const r = normalizePhone(raw, region);
  return r.ok ? 'ok' : r.code;
};

describe('normalizePhone', () => {
  it('reads the ways people write Chinese mobiles', () => {
    for (const raw of ['13812345678', '138 1234 5678', '138-1234-5678', '+86 138 1234 5678', '+86-13812345678', '0086 138 1234 5678',
      '0086-138-1234-5678', '86-138-1234-5678', '8613812345678', '(+86) 138.1234.5678', '１３８１２３４５６７８', '＋８６　１３８１２３４５６７８', ' 13812345678 ']) {
      expect(ok(raw)).toBe('+8613812345678');
    }
  });

  it('reads landlines with area codes', () => {
    expect(ok('(021)61234567')).toBe('+862161234567');
    expect(ok('021-6123-4567')).toBe('+862161234567');
    expect(ok('+86 (0)21 6123 4567')).toBe('+862161234567');
    expect(ok('010 8888 6666')).toBe('+861088886666');
    expect(normalizePhone('02161234567', 'CN')).toMatchObject({ ok: true, type: 'fixed_line', region: 'CN' });
  });

  it('rejects mistyped numbers with a reason', () => {
    expect(code('1381234567')).toBe('phone_invalid'); // 10 digits
    expect(code('138123456789')).toBe('phone_invalid'); // 12 digits
    expect(['phone_too_short', 'phone_invalid']).toContain(code('1381234'));
    expect(code('12345')).not.toBe('ok');
    expect(code('')).toBe('phone_empty');
    expect(code('无')).toBe('phone_empty');
    expect(code('N/A')).toBe('phone_empty');
    expect(code('call me')).toBe('phone_not_a_number');
    expect(code('138abc45678')).toBe('phone_not_a_number');
    expect(code('021-61234567 ext 12')).toBe('phone_not_a_number');
    expect(code('13812345678', 'XX')).toBe('phone_invalid_country');
    expect(code('1'.repeat(25))).not.toBe('ok');
  });

  it('uses the default region for national numbers elsewhere', () => {
    expect(ok('(202) 555-0123', 'US')).toBe('+12025550123');
    expect(ok('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(ok('+55 11 91234-5678', 'CN')).toBe('+5511912345678');
    expect(normalizePhone('+55 11 91234-5678', 'CN')).toMatchObject({ region: 'BR', type: 'mobile' });
  });

  it('the CN mobile cache agrees with libphonenumber across the 1xx ranges', () => {
    // Prefix-cached answers must equal a fresh parse for other numbers with the same prefix.
    for (let p = 1300; p <= 1999; p += 1) {
      for (const mid of ['000', '555', '999']) {
        const a = `${p}${mid}0000`;
        const b = `${p}${mid}9876`;
        const fresh = (n: string) => Boolean(parsePhoneNumberFromString(`+86${n}`)?.isValid());
        expect(normalizePhone(a, 'CN').ok).toBe(fresh(a));
        expect(normalizePhone(b, 'CN').ok).toBe(fresh(b));
      }
    }
  });
});

describe('maskPhone', () => {
  it('masks the middle of a number', () => {
    expect(maskPhone('+8613812345678')).toBe('138****5678');
    expect(maskPhone('+862161234567')).toBe('21******67');
    expect(maskPhone('+12025550123')).toBe('+1 20******23');
    expect(maskPhone('+8613812345678')).not.toContain('1234');
  });
});

describe('defaultTimeZoneForRegion', () => {
  it('knows single-zone countries and refuses to guess for the others', () => {
    expect(defaultTimeZoneForRegion('CN')).toBe('Asia/Shanghai');
    expect(defaultTimeZoneForRegion('US')).toBeNull();
    expect(defaultTimeZoneForRegion('BR')).toBeNull();
  });
});
