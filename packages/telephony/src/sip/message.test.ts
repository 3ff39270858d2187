import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Headers,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serialize,
  SipParseError,
  splitList,
} from './message.ts';
import { authorize, parseChallenge } from './digest.ts';

const INVITE = [
  'INVITE sip:+8613800000001@carrier.test;user=phone SIP/2.0',
  'v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport, SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKdef',
  'Max-Forwards: 70',
  'f: "+86 10 8888" <sip:+861088880000@carrier.test>;tag=aa',
  't: <sip:+8613800000001@carrier.test>',
  'i: x1@outdial',
  'CSeq: 7 INVITE',
  'Subject: folded',
  '  across lines',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\r\nEXTRA',
].join('\r\n');

describe('SIP message parsing', () => {
  it('reads compact and folded headers, splits Via lists, cuts the body at Content-Length', () => {
    const m = parseMessage(INVITE);
    expect(m.kind).toBe('request');
    if (m.kind !== 'request') return;
    expect(m.method).toBe('INVITE');
    expect(m.headers.all('via')).toHaveLength(2);
    expect(parseVia(m.headers.get('via')!).params['branch']).toBe('z9hG4bKabc');
    expect(m.headers.get('subject')).toBe('folded across lines');
    expect(parseNameAddr(m.headers.get('from')!)).toEqual({
      display: '+86 10 8888',
      uri: 'sip:+861088880000@carrier.test',
      params: { tag: 'aa' },
    });
    expect(m.body).toBe('v=0\r');
    expect(parseUri(m.uri)).toMatchObject({ user: '+8613800000001', host: 'carrier.test', params: { user: 'phone' } });
  });

  it('refuses what is malformed with a SipParseError naming the fault', () => {
    expect(() => parseMessage('INVITE sip:x SIP/2.0\r\n\r\n')).toThrow(/missing Via/);
    expect(() => parseMessage(INVITE.replace('l: 4', 'l: 400'))).toThrow(/shorter/);
    expect(() => parseMessage(INVITE.replace('CSeq: 7 INVITE', 'CSeq: 7 BYE'))).toThrow(/CSeq method/);
    expect(() => parseMessage(INVITE.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'))).toThrow(SipParseError);
  });

  it('splits lists only at top-level commas', () => {
    expect(splitList('"a, b" <sip:x>;p=1, <sip:y,z>')).toEqual(['"a, b" <sip:x>;p=1', '<sip:y,z>']);
  });

  it('writes what it reads: serialize ∘ parse keeps start line, headers and body', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
    fc.assert(
      fc.property(token, fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.string({ maxLength: 200 }), (tag, seq, body) => {
        const h = Headers.from({
          Via: `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${tag}`,
          From: `<sip:a@b>;tag=${tag}`,
          To: '<sip:c@d>',
          'Call-ID': `${tag}@h`,
          CSeq: `${seq} BYE`,
        });
        const msg = { kind: 'request' as const, method: 'BYE', uri: 'sip:c@d', headers: h, body };
        const back = parseMessage(serialize(msg));
        expect(back).toMatchObject({ kind: 'request', method: 'BYE', uri: 'sip:c@d', body });
        expect(back.headers.get('cseq')).toBe(`${seq} BYE`);
        expect(back.headers.get('from')).toBe(`<sip:a@b>;tag=${tag}`);
      }),
    );
  });

  it('never fails on junk with anything but a SipParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          parseMessage(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
        }
      }),
    );
    // Junk spliced into a valid message.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: INVITE.length }), fc.string({ maxLength: 40 }), (at, junk) => {
        try {
          parseMessage(INVITE.slice(0, at) + junk + INVITE.slice(at));
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
        }
      }),
    );
  });
});

describe('digest authentication', () => {
  it('answers the RFC 2617 §3.5 example', () => {
    const ch = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const v = authorize(ch, {
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      nc: 1,
      cnonce: '0a4f113b',
    });
    expect(v).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(v).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(v).toContain('nc=00000001');
  });

  it('answers a challenge without qop (RFC 2069 form) and refuses unknown algorithms', () => {
    const ch = parseChallenge('Digest realm="r", nonce="n"');
    expect(authorize(ch, { method: 'INVITE', uri: 'sip:x@y', username: 'u', password: 'p' })).toMatch(
      /response="[0-9a-f]{32}"/,
    );
    expect(() =>
      authorize(parseChallenge('Digest realm="r", nonce="n", algorithm=XYZ'), {
        method: 'INVITE',
        uri: 'sip:x',
        username: 'u',
        password: 'p',
      }),
    ).toThrow(/not supported/);
    expect(() => parseChallenge('Basic realm="r"')).toThrow(SipParseError);
  });
});
