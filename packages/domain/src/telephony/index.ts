/**
 * Telephony rules that do not depend on a carrier: what a valid SIP trunk is. The SIP carrier,
 * the configuration and the trunks API all check trunks with this one function.
 */
export interface TrunkSettings {
  name: string;
  /** `sip:host:port` (no user part). */
  uri: string;
  transport: 'udp' | 'tcp';
  username?: string | null;
  password?: string | null;
  maxChannels: number;
  callsPerSecond: number;
}

const URI = /^sips?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:(\d{1,5}))?(;[^\s;]+)*$/;

/** Every problem with a trunk, as "field: what is wrong" (empty when it is good). */
export function validateTrunk(t: Partial<TrunkSettings>): string[] {
  const p: string[] = [];
  if (typeof t.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(t.name))
    p.push('name: 1–64 letters, digits, "_", "." or "-"');
  const m = typeof t.uri === 'string' ? URI.exec(t.uri) : null;
  if (!m) p.push('uri: must be a SIP address such as sip:127.0.0.1:5080 (no user part)');
  else if (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535)) p.push('uri: port out of range');
  if (t.transport !== 'udp' && t.transport !== 'tcp') p.push('transport: "udp" or "tcp"');
  if (!Number.isInteger(t.maxChannels) || t.maxChannels! < 1 || t.maxChannels! > 100_000)
    p.push('maxChannels: a whole number from 1 to 100000');
  if (typeof t.callsPerSecond !== 'number' || !(t.callsPerSecond > 0) || t.callsPerSecond > 10_000)
    p.push('callsPerSecond: a number above 0, at most 10000');
  const hasUser = t.username !== undefined && t.username !== null;
  const hasPass = t.password !== undefined && t.password !== null;
  if (hasUser !== hasPass) p.push('username and password: both or neither');
  if (hasUser && (typeof t.username !== 'string' || t.username.length < 1 || t.username.length > 128))
    p.push('username: 1–128 characters');
  if (hasPass && (typeof t.password !== 'string' || t.password.length < 1 || t.password.length > 256))
    p.push('password: 1–256 characters');
  return p;
}
