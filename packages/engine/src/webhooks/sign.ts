import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` and the
 * base64 of the key; the signature of a message is `v1,` and the base64 of
 * HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>"). Receivers verify with any
 * Standard Webhooks library (tests use the npm `standardwebhooks` package).
 */
export const SECRET_PREFIX = 'whsec_';

/** A new secret: 24 random bytes (192 bits), as Standard Webhooks writes secrets. */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The headers of one try: the same webhook-id every time, the time of this try, its signature. */
export function signedHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  const ts = Math.floor(at.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Outdial-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': sign(secret, id, ts, body),
  };
}
