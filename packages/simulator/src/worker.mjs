// A pacing-benchmark worker thread: runs (policy, replication) tasks it is sent.
// TypeScript is loaded through tsx, as in the CLI entry, so workers need no build step.
import { register } from 'tsx/esm/api';
import { parentPort } from 'node:worker_threads';

register();
const { runTask } = await import('./task.ts');
parentPort.on('message', (msg) => {
  try {
    parentPort.postMessage({ id: msg.id, result: runTask(msg.task) });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
