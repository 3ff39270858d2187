// The contact-file parser in a worker thread (see threaded.ts). TypeScript is loaded
// through tsx, as in the CLI entry, so the worker needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
