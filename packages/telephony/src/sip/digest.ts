import { createHash, randomBytes } from 'node:crypto';
import { SipParseError } from './message.ts';

/** A parsed `WWW-Authenticate` / `Proxy-Authenticate: Digest …` challenge (RFC 3261 §22.4, RFC 2617). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  algorithm: string;
  qop: string[];
  stale: boolean;
}

/** Parses `Digest k=v, k="v", …` — quoted strings may hold commas and escaped quotes. */
export function parseChallenge(v: string): DigestChallenge {
  const m = /^\s*Digest\s+(.*)$/is.exec(v);
  if (!m) throw new SipParseError(`not a Digest challenge: "${v.slice(0, 60)}"`);
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/gy;
  const s = m[1]!;
  let mm: RegExpExecArray | null;
  let pos = 0;
  while (pos < s.length && (mm = re.exec(s))) {
    params[mm[1]!.toLowerCase()] = mm[2] !== undefined ? mm[2].replace(/\\(.)/g, '$1') : (mm[3] ?? '');
    pos = re.lastIndex;
  }
  if (pos < s.trimEnd().length) throw new SipParseError(`bad Digest challenge near "${s.slice(pos, pos + 30)}"`);
  if (params['realm'] === undefined || params['nonce'] === undefined)
    throw new SipParseError('Digest challenge without realm or nonce');
  const algorithm = (params['algorithm'] ?? 'MD5').toUpperCase();
  return {
    realm: params['realm'],
    nonce: params['nonce'],
    opaque: params['opaque'] ?? null,
    algorithm,
    qop: (params['qop'] ?? '')
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter(Boolean),
    stale: (params['stale'] ?? '').toLowerCase() === 'true',
  };
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/**
 * The Authorization value answering `ch` for a request (RFC 2617 §3.2.2 / RFC 8760 for
 * SHA-256). With `qop=auth` offered, it is used with a fresh cnonce; `auth-int` and `-sess`
 * algorithms are refused (no carrier in use needs them).
 */
export function authorize(
  ch: DigestChallenge,
  req: { method: string; uri: string; username: string; password: string; nc?: number; cnonce?: string },
): string {
  const algo = HASHES[ch.algorithm];
  if (!algo) throw new Error(`digest algorithm ${ch.algorithm} not supported`);
  const h = (s: string) => createHash(algo).update(s, 'utf8').digest('hex');
  const ha1 = h(`${req.username}:${ch.realm}:${req.password}`);
  const ha2 = h(`${req.method}:${req.uri}`);
  const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [`username=${q(req.username)}`, `realm=${q(ch.realm)}`, `nonce=${q(ch.nonce)}`, `uri=${q(req.uri)}`];
  if (ch.qop.includes('auth')) {
    const nc = (req.nc ?? 1).toString(16).padStart(8, '0');
    const cnonce = req.cnonce ?? randomBytes(8).toString('hex');
    parts.push(`response=${q(h(`${ha1}:${ch.nonce}:${nc}:${cnonce}:auth:${ha2}`))}`, `qop=auth`, `nc=${nc}`);
    parts.push(`cnonce=${q(cnonce)}`);
  } else if (ch.qop.length > 0) {
    throw new Error(`digest qop ${ch.qop.join(',')} not supported`);
  } else {
    parts.push(`response=${q(h(`${ha1}:${ch.nonce}:${ha2}`))}`);
  }
  parts.push(`algorithm=${ch.algorithm}`);
  if (ch.opaque !== null) parts.push(`opaque=${q(ch.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
