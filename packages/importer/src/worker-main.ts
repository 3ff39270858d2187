/**
 * Runs inside the parser's worker thread: parses the file named in `workerData` and posts
 * the header, the batches (under credit-based flow control, so a slow consumer bounds memory)
 * and progress to the parent. Errors travel as data and are rebuilt on the other side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImportFileError } from './errors.ts';
import { parseContactFile, type ImportSpec } from './parse.ts';
import type { ToParent, ToWorker } from './threaded.ts';

const port = parentPort!;
const { path, spec } = workerData as { path: string; spec: Omit<ImportSpec, 'onProgress'> };
const send = (m: ToParent) => port.postMessage(m);

let credits = 0;
let wake: (() => void) | null = null;
port.on('message', (m: ToWorker) => {
  if (m.t === 'credit') {
    credits += m.n;
    wake?.();
    wake = null;
  }
});

try {
  // By path: an XLSX is read by random access from the file itself; a CSV is streamed from it.
  const parsed = parseContactFile(
    { path },
    {
      ...spec,
      onProgress: (p) => send({ t: 'progress', bytesRead: p.bytesRead, rowsRead: p.rowsRead }),
    },
  );
  send({ t: 'header', header: await parsed.header });
  for await (const batch of parsed.batches) {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    send({ t: 'batch', rows: batch });
  }
  send({ t: 'end' });
} catch (err) {
  send(
    err instanceof ImportFileError
      ? { t: 'error', fileError: true, code: err.code, message: err.message, details: err.details }
      : { t: 'error', fileError: false, message: err instanceof Error ? err.message : String(err) },
  );
}
port.close();
