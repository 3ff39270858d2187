import { Writable } from 'node:stream';
import type { Config } from '../../config.ts';
import { createLogger, type ServerLogger } from '../../logger.ts';

/** The server's logger writing into `lines`, one JSON line each (tests that show a server's log when they fail). */
export function memoryLogger(lines: string[], level: Config['logLevel'] = 'debug'): ServerLogger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString().trimEnd());
      done();
    },
  });
  return createLogger(level, sink);
}
