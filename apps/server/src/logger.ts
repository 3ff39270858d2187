import pino from 'pino';
import PinoPretty from 'pino-pretty';
import type { Config } from './config.ts';

/** The process's logger: pino, which is also what Fastify logs through. */
export type ServerLogger = pino.Logger;

/**
 * The one logger of a process, made at the composition root and handed down (ADR 0013): JSON
 * lines on stderr — stdout stays free for what a CLI command prints (`outdial import --json`).
 * Components log through children (`component: http | dialer | runner | gateway | imports |
 * sweeps | platform`); errors go under `err`, with their stack. Writes are synchronous: the
 * volume is small (no line per call) and nothing is lost when the process exits or is killed.
 */
/**
 * A request URL as the log may keep it: phone numbers people search or check by (`q`, `phone`)
 * and the one in a do-not-call entry's path are replaced — logs are read by more people, and kept
 * longer, than the audit log that records the same lookups.
 */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const safePath = path.replace(/(\/dnc\/lists\/[^/]+\/entries\/)[^/?]+/, '$1[redacted]');
  if (query === undefined) return safePath;
  const safeQuery = query.replace(/(^|&)(q|phone)=[^&]*/g, '$1$2=[redacted]');
  return `${safePath}?${safeQuery}`;
}

/** What a request line in the log says: method, redacted URL, client address — no headers (tokens). */
const serializers = {
  req: (req: { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
    method: req.method,
    url: redactUrl(req.url ?? ''),
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
  }),
};

export function createLogger(
  level: Config['logLevel'],
  destination?: pino.DestinationStream,
  format: Config['logFormat'] = 'json',
): ServerLogger {
  if (destination) return pino({ level, serializers }, destination);
  // A person at a terminal reads text; a log collector reads JSON lines (OUTDIAL_LOG_FORMAT=json).
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY);
  return pino(
    { level, serializers },
    pretty
      ? PinoPretty({
          destination: 2,
          sync: true,
          colorize: process.stderr.isTTY,
          translateTime: 'SYS:HH:MM:ss',
          ignore: 'pid,hostname',
          singleLine: true,
        })
      : pino.destination({ dest: 2, sync: true }),
  );
}
