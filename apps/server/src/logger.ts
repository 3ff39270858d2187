import pino from 'pino';
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
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): ServerLogger {
  return pino({ level }, destination ?? pino.destination({ dest: 2, sync: true }));
}
