/**
 * SIP messages (RFC 3261 §7): parsing and writing. Only what a calling B2BUA needs — requests
 * and responses, folded and compact headers, comma-separated multi-value headers, name-addr /
 * addr-spec with parameters, and a body framed by Content-Length. Anything malformed throws a
 * `SipParseError` naming what was wrong; the transport logs and drops such a datagram.
 */

export class SipParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipParseError';
  }
}

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: Headers;
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: Headers;
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
};

/** How a header is spelt when written (the rest are written as given). */
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'content-length': 'Content-Length',
  'content-type': 'Content-Type',
  'max-forwards': 'Max-Forwards',
  'record-route': 'Record-Route',
  'proxy-authenticate': 'Proxy-Authenticate',
  'proxy-authorization': 'Proxy-Authorization',
  'user-agent': 'User-Agent',
  'retry-after': 'Retry-After',
  'p-asserted-identity': 'P-Asserted-Identity',
};

/** Headers whose values may be comma-joined lists (RFC 3261 §7.3.1); others are kept whole. */
const LISTS = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require']);

const canonical = (lower: string) =>
  CANONICAL[lower] ?? lower.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());

/** Ordered, case-insensitive SIP headers; each entry one value (lists are split on read). */
export class Headers {
  private readonly entries: [string, string][] = [];

  static from(init: Record<string, string | string[] | number | undefined>): Headers {
    const h = new Headers();
    for (const [k, v] of Object.entries(init)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [String(v)]) h.append(k, one);
    }
    return h;
  }

  append(name: string, value: string): void {
    const lower = name.toLowerCase();
    this.entries.push([COMPACT[lower] ?? lower, value.trim()]);
  }

  set(name: string, value: string): void {
    this.delete(name);
    this.append(name, value);
  }

  delete(name: string): void {
    const lower = COMPACT[name.toLowerCase()] ?? name.toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]![0] === lower) this.entries.splice(i, 1);
  }

  /** The first value (the first list element for list headers). */
  get(name: string): string | undefined {
    return this.all(name)[0];
  }

  /** Every value, list headers split at top-level commas. */
  all(name: string): string[] {
    const lower = COMPACT[name.toLowerCase()] ?? name.toLowerCase();
    const out: string[] = [];
    for (const [k, v] of this.entries) {
      if (k !== lower) continue;
      if (LISTS.has(lower)) out.push(...splitList(v));
      else out.push(v);
    }
    return out;
  }

  has(name: string): boolean {
    return this.all(name).length > 0;
  }

  clone(): Headers {
    const h = new Headers();
    for (const [k, v] of this.entries) h.entries.push([k, v]);
    return h;
  }

  toLines(): string[] {
    return this.entries.filter(([k]) => k !== 'content-length').map(([k, v]) => `${canonical(k)}: ${v}`);
  }
}

/** Splits a header value at commas outside quotes and angle brackets. */
export function splitList(v: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '"' && v[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      const part = v.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = v.slice(start).trim();
  if (last) out.push(last);
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses one whole message. `data` must hold exactly one message (UDP datagram, or a frame the
 * TCP transport cut by Content-Length); a body longer than Content-Length is cut, a shorter one
 * is an error (RFC 3261 §18.3: a truncated UDP message is discarded).
 */
export function parseMessage(data: Buffer | string): SipMessage {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) throw new SipParseError('no blank line after the headers');
  const head = decoder.decode(buf.subarray(0, sep));
  const rawBody = buf.subarray(sep + 4);
  const lines = head.split('\r\n');
  // Leading CRLFs (keep-alives) before the start line are skipped.
  while (lines.length && lines[0] === '') lines.shift();
  const start = lines.shift();
  if (!start) throw new SipParseError('empty message');
  const headers = new Headers();
  let current: string | null = null;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (current === null) throw new SipParseError('continuation line before any header');
      current += ' ' + line.trim();
      continue;
    }
    if (current !== null) addHeader(headers, current);
    current = line;
  }
  if (current !== null) addHeader(headers, current);
  const lenRaw = headers.get('content-length');
  let body = rawBody;
  if (lenRaw !== undefined) {
    const len = Number(lenRaw);
    if (!Number.isInteger(len) || len < 0) throw new SipParseError(`bad Content-Length "${lenRaw}"`);
    if (len > rawBody.length) throw new SipParseError(`body shorter (${rawBody.length}) than Content-Length ${len}`);
    body = rawBody.subarray(0, len);
  }
  const bodyText = decoder.decode(body);
  for (const required of ['via', 'call-id', 'cseq', 'from', 'to'])
    if (!headers.has(required)) throw new SipParseError(`missing ${canonical(required)} header`);
  const cseq = parseCSeq(headers.get('cseq')!);
  if (start.startsWith('SIP/2.0 ')) {
    const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
    if (!m) throw new SipParseError(`bad status line "${start}"`);
    const status = Number(m[1]);
    if (status < 100 || status > 699) throw new SipParseError(`status ${status} out of range`);
    return { kind: 'response', status, reason: m[2] ?? '', headers, body: bodyText };
  }
  const m = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!m) throw new SipParseError(`bad request line "${start}"`);
  const method = m[1]!.toUpperCase();
  if (cseq.method !== method) throw new SipParseError(`CSeq method ${cseq.method} differs from ${method}`);
  return { kind: 'request', method, uri: m[2]!, headers, body: bodyText };
}

function addHeader(h: Headers, line: string): void {
  const i = line.indexOf(':');
  if (i <= 0) throw new SipParseError(`bad header line "${line.slice(0, 60)}"`);
  h.append(line.slice(0, i).trim(), line.slice(i + 1));
}

/** Writes a message; Content-Length is always computed from the body. */
export function serialize(msg: SipMessage): Buffer {
  const start =
    msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason || 'Unknown'}`;
  const body = Buffer.from(msg.body, 'utf8');
  const head = [start, ...msg.headers.toLines(), `Content-Length: ${body.length}`, '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), body]);
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(v: string): CSeq {
  const m = /^(\d+)\s+([A-Za-z]+)$/.exec(v.trim());
  if (!m) throw new SipParseError(`bad CSeq "${v}"`);
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) throw new SipParseError(`CSeq ${seq} too large`);
  return { seq, method: m[2]!.toUpperCase() };
}

/** `"Name" <sip:user@host;uri-params>;tag=x` or `sip:user@host;tag=x`. */
export interface NameAddr {
  display: string | null;
  uri: string;
  params: Record<string, string | null>;
}

export function parseNameAddr(v: string): NameAddr {
  const s = v.trim();
  const lt = s.indexOf('<');
  let display: string | null = null;
  let uri: string;
  let rest: string;
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) throw new SipParseError(`unclosed < in "${s}"`);
    const d = s.slice(0, lt).trim();
    display = d ? d.replace(/^"(.*)"$/, '$1') : null;
    uri = s.slice(lt + 1, gt).trim();
    rest = s.slice(gt + 1);
  } else {
    const semi = s.indexOf(';');
    uri = semi >= 0 ? s.slice(0, semi) : s;
    rest = semi >= 0 ? s.slice(semi) : '';
  }
  if (!uri) throw new SipParseError(`no URI in "${s}"`);
  return { display, uri, params: parseParams(rest) };
}

export function formatNameAddr(a: NameAddr): string {
  const d = a.display ? `"${a.display.replace(/"/g, '')}" ` : '';
  return `${d}<${a.uri}>${formatParams(a.params)}`;
}

export function parseParams(s: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const part of s.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[p.toLowerCase()] = null;
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return out;
}

export function formatParams(p: Record<string, string | null>): string {
  return Object.entries(p)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}

export interface SipUri {
  scheme: 'sip' | 'sips';
  user: string | null;
  host: string;
  port: number | null;
  params: Record<string, string | null>;
}

export function parseUri(v: string): SipUri {
  const m = /^(sips?):(?:([^@;?]+)@)?([^:;?]+|\[[^\]]+\])(?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(v.trim());
  if (!m) throw new SipParseError(`bad SIP URI "${v}"`);
  const port = m[4] ? Number(m[4]) : null;
  if (port !== null && (port < 1 || port > 65535)) throw new SipParseError(`port out of range in "${v}"`);
  return {
    scheme: m[1]!.toLowerCase() as 'sip' | 'sips',
    user: m[2] ?? null,
    host: m[3]!,
    port,
    params: parseParams(m[5] ?? ''),
  };
}

export function formatUri(u: SipUri): string {
  return `${u.scheme}:${u.user ? `${u.user}@` : ''}${u.host}${u.port ? `:${u.port}` : ''}${formatParams(u.params)}`;
}

export interface Via {
  transport: string;
  host: string;
  port: number | null;
  params: Record<string, string | null>;
}

export function parseVia(v: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;:\s]+|\[[^\]]+\])(?::(\d+))?\s*(.*)$/.exec(v.trim());
  if (!m) throw new SipParseError(`bad Via "${v}"`);
  return {
    transport: m[1]!.toUpperCase(),
    host: m[2]!,
    port: m[3] ? Number(m[3]) : null,
    params: parseParams(m[4] ?? ''),
  };
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

/** Reason phrases for the responses this UA writes. */
export const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** A response to `req` with its Via, From, To, Call-ID and CSeq copied (§8.2.6.2); `toTag` added to To if it has none. */
export function makeResponse(
  req: SipRequest,
  status: number,
  opts: { toTag?: string; reason?: string } = {},
): SipResponse {
  const h = new Headers();
  for (const v of req.headers.all('via')) h.append('Via', v);
  h.append('From', req.headers.get('from')!);
  let to = req.headers.get('to')!;
  if (opts.toTag && status > 100 && parseNameAddr(to).params['tag'] === undefined) to += `;tag=${opts.toTag}`;
  h.append('To', to);
  h.append('Call-ID', req.headers.get('call-id')!);
  h.append('CSeq', req.headers.get('cseq')!);
  return { kind: 'response', status, reason: opts.reason ?? REASONS[status] ?? 'Unknown', headers: h, body: '' };
}

/** The tag parameter of a From/To value, if any. */
export function tagOf(v: string | undefined): string | null {
  if (!v) return null;
  const t = parseNameAddr(v).params['tag'];
  return t === undefined || t === null ? null : t;
}
