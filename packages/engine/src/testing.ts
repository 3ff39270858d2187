/**
 * Test helpers of the engine (`@outdial/engine/testing`), kept out of its production entry point.
 */
import type { Logger } from './logger.ts';

export { FakeTelephony, MemoryAttempts, MemoryDialerStore, campaignRow, contact } from './dialer/testing.ts';

export interface LogEntry {
  level: 'error' | 'warn' | 'info' | 'debug';
  msg: string | undefined;
  /** The bindings of the child it was written through, then the call's own object. */
  fields: Record<string, unknown>;
}

/** A logger that keeps what was written, for tests that check a failure left a trace with its context. */
export class RecordingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  child(bindings: Record<string, unknown>): RecordingLogger {
    return new RecordingLogger(this.entries, { ...this.bindings, ...bindings });
  }

  error(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'error', msg, fields: { ...this.bindings, ...obj } });
  }

  warn(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'warn', msg, fields: { ...this.bindings, ...obj } });
  }

  info(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'info', msg, fields: { ...this.bindings, ...obj } });
  }

  debug(obj: Record<string, unknown>, msg?: string): void {
    this.entries.push({ level: 'debug', msg, fields: { ...this.bindings, ...obj } });
  }

  /** Entries at `level` (and above: error counts as warn). */
  at(level: 'error' | 'warn'): LogEntry[] {
    return this.entries.filter((e) => e.level === 'error' || (level === 'warn' && e.level === 'warn'));
  }
}
