import { Worker } from 'node:worker_threads';
import { ImportFileError, type ImportFileErrorCode } from './errors.ts';
import type { ImportSpec, ParsedHeader, RowOutcome } from './parse.ts';

export type ToWorker = { t: 'credit'; n: number };
export type ToParent =
  | { t: 'header'; header: ParsedHeader }
  | { t: 'batch'; rows: RowOutcome[] }
  | { t: 'progress'; bytesRead: number; rowsRead: number }
  | { t: 'end' }
  | { t: 'error'; fileError: true; code: ImportFileErrorCode; message: string; details?: unknown }
  | { t: 'error'; fileError: false; message: string };

/** Batches (a few hundred rows each) the worker may post ahead of the consumer: a few write batches. */
const CREDITS = 48;

/**
 * The parser thread's heap. The XLSX limits (ADR 0014) keep a hostile file far below this; the
 * cap makes sure that whatever a file does, it ends its own import, not the server.
 */
export const PARSER_HEAP_MB = 512;

/**
 * `parseContactFile` on a worker thread, for large files: parsing (decoding, CSV, phone
 * normalisation) is most of an import's CPU, and on its own thread it runs beside the main
 * thread's database work instead of taking turns with it. Same results, same errors; the
 * rows arrive in the same batches, by structured clone.
 */
export function parseContactFileInWorker(
  path: string,
  spec: ImportSpec,
  heapMb: number = PARSER_HEAP_MB,
): { header: Promise<ParsedHeader>; batches: AsyncIterable<RowOutcome[]> } {
  const { onProgress, ...plain } = spec;
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { path, spec: plain },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  const queue: RowOutcome[][] = [];
  let done = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let resolveHeader!: (h: ParsedHeader) => void;
  let rejectHeader!: (e: Error) => void;
  const header = new Promise<ParsedHeader>((res, rej) => {
    resolveHeader = res;
    rejectHeader = rej;
  });
  header.catch(() => undefined); // observed through `batches` too
  const notify = () => {
    wake?.();
    wake = null;
  };
  const fail = (e: Error) => {
    if (done) return;
    failure = e;
    done = true;
    rejectHeader(e);
    notify();
  };
  worker.on('message', (m: ToParent) => {
    switch (m.t) {
      case 'header':
        resolveHeader(m.header);
        break;
      case 'batch':
        queue.push(m.rows);
        notify();
        break;
      case 'progress':
        onProgress?.({ bytesRead: m.bytesRead, rowsRead: m.rowsRead });
        break;
      case 'end':
        done = true;
        notify();
        break;
      case 'error':
        fail(m.fileError ? new ImportFileError(m.code, m.message, m.details) : new Error(m.message));
        break;
    }
  });
  worker.on('error', (e) =>
    fail(
      (e as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new ImportFileError(
            'unpacked_too_large',
            `reading the file needed more than ${heapMb} MB of memory; split it into smaller files`,
            { limitMb: heapMb },
          )
        : e,
    ),
  );
  worker.on('exit', (code) => {
    if (!done) fail(new Error(`the parser thread stopped unexpectedly (exit code ${code})`));
  });
  worker.postMessage({ t: 'credit', n: CREDITS } satisfies ToWorker);

  async function* batches(): AsyncGenerator<RowOutcome[]> {
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          worker.postMessage({ t: 'credit', n: 1 } satisfies ToWorker);
          yield next;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      // Consumer stopped early (an error downstream) or finished: the thread is not needed.
      if (!done || queue.length) await worker.terminate();
    }
  }
  return { header, batches: batches() };
}
