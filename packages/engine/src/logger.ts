/**
 * The engine's logging port: a structured logger, shaped like pino's so the composition root
 * passes a pino logger (or a child of it) as it is, while the engine imports no logging library
 * (ADR: docs/adr/0013-structured-logging.md).
 *
 * Conventions: the first argument is an object of context (`campaignId`, `attemptId`,
 * `agentId`…), errors go under `err` (pino prints their stack), the message is a short
 * sentence of what failed or happened. Components take a child with their name bound:
 * `logger.child({ component: 'runner', campaignId })`.
 */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  error(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  debug(obj: Record<string, unknown>, msg?: string): void;
}

/** Writes nothing: the default where no logger is given (unit tests that do not look at logs). */
export const silentLogger: Logger = {
  child: () => silentLogger,
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
