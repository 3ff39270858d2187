import metadata from 'libphonenumber-js/metadata.max.json';
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
    for (const raw of [
      '13812345678',
      '138 1234 5678',
      '138-1234-5678',
      '+86 138 1234 5678',
      '+86-13812345678',
      '0086 138 1234 5678',
      '0086-138-1234-5678',
      '86-138-1234-5678',
      '8613812345678',
      '(+86) 138.1234.5678',
      '１３８１２３４５６７８',
      '＋８６　１３８１２３４５６７８',
      ' 13812345678 ',
    ]) {
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
    expect(code('021-61234567 ext 12')).toBe('phone_has_extension');
    expect(code('021-61234567转8001')).toBe('phone_has_extension');
    expect(code('+1 202 555 0123 x12')).toBe('phone_has_extension');
    expect(code('12345')).toBe('phone_too_short');
    expect(code('1'.repeat(25))).toBe('phone_too_long');
    expect(code('１３８１２３４５６７')).toBe('phone_invalid');
    expect(code('+86 138 1234 567')).toBe('phone_invalid');
    expect(code('0086 1381234567')).toBe('phone_invalid');
    expect(code('12812345678')).toBe('phone_invalid'); // 11 digits, but no 128 mobile range
    expect(code('13812345678', 'XX')).toBe('phone_invalid_country');
    expect(code('1'.repeat(25))).not.toBe('ok');
  });

  it('uses the default region for national numbers elsewhere', () => {
    expect(ok('(202) 555-0123', 'US')).toBe('+12025550123');
    expect(ok('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(ok('+55 11 91234-5678', 'CN')).toBe('+5511912345678');
    expect(normalizePhone('+55 11 91234-5678', 'CN')).toMatchObject({ region: 'BR', type: 'mobile' });
  });

  it('takes the trunk 0 and carrier IP prefixes people put before mobiles', () => {
    expect(ok('013812345678')).toBe('+8613812345678');
    expect(ok('17951 13812345678')).toBe('+8613812345678');
    expect(ok('+86 0138 1234 5678')).toBe('+8613812345678');
  });

  it('types and regions', () => {
    expect(normalizePhone('13812345678', 'CN')).toEqual({
      ok: true,
      e164: '+8613812345678',
      region: 'CN',
      type: 'mobile',
    });
    expect(normalizePhone('400-800-8888', 'CN')).toMatchObject({ ok: true, type: 'shared_cost' });
    expect(normalizePhone('+852 5123 4567', 'CN')).toMatchObject({ ok: true, region: 'HK' });
  });

  it('the CN mobile memo key covers every digit the metadata looks at', () => {
    // The memo in normalizePhone is keyed by the first 7 national digits. That is exact only
    // while the MOBILE pattern is "1 + a specific prefix + \\d{n}" with the specific part
    // inside those 7 digits: check the pattern itself, so a metadata update that breaks the
    // assumption fails here instead of silently accepting wrong numbers.
    const cn = (metadata as unknown as { countries: Record<string, unknown[]> }).countries['CN']!;
    const types = cn[11] as [string, number[]][];
    const mobile = types[1]![0];
    const alternatives: string[] = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < mobile.length; i++) {
      const ch = mobile[i];
      if (ch === '\\') i++;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
      else if (ch === '|' && depth === 0) {
        alternatives.push(mobile.slice(start, i));
        start = i + 1;
      }
    }
    alternatives.push(mobile.slice(start));
    for (const alt of alternatives) {
      const m = /^(.*)\\d\{(\d+)\}$/.exec(alt);
      expect(m, alt).not.toBeNull();
      // the specific part is 11 − n digits long; it must fit in the 7-digit key
      expect(11 - Number(m![2]), alt).toBeLessThanOrEqual(7);
    }
    // No other CN number type may match an 11-digit 1[3-9]… number (else the memo, which
    // only asks about the prefix, could return the wrong type): try every 4-digit prefix
    // with several tails against every non-mobile pattern.
    const others = types.filter((t, i) => i !== 1 && Array.isArray(t)).map((t) => new RegExp(`^(?:${t[0]})$`));
    for (let p = 1300; p <= 1999; p++) {
      for (const tail of ['0000000', '1234567', '9999999', '5050505']) {
        for (const re of others) expect(re.test(`${p}${tail}`)).toBe(false);
      }
    }
  });

  it('the CN mobile cache agrees with libphonenumber across the 1xx ranges', () => {
    // Prefix-cached answers must equal a fresh parse for other numbers with the same prefix.
    for (let p = 13000; p <= 19999; p += 1) {
      for (const mid of ['00', '59']) {
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
    expect(maskPhone('+85251234567')).toBe('+852 51****67');
    expect(maskPhone('+6591234')).not.toContain('9123');
    expect(maskPhone('not a number')).toBe('no****er');
    expect(maskPhone('+8613812345678')).not.toContain('1234');
  });
});

describe('defaultTimeZoneForRegion', () => {
  it('knows single-zone countries and refuses to guess for the others', () => {
    expect(defaultTimeZoneForRegion('CN')).toBe('Asia/Shanghai');
    expect(defaultTimeZoneForRegion('US')).toBeNull();
    expect(defaultTimeZoneForRegion('BR')).toBeNull();
    for (const r of ['RU', 'AU', 'CA', 'MX', 'ID', 'XX']) expect(defaultTimeZoneForRegion(r)).toBeNull();
    expect(defaultTimeZoneForRegion('jp')).toBe('Asia/Tokyo');
  });
});
