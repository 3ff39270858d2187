#!/usr/bin/env node
// Entry point of the `outdial` CLI. The code is TypeScript run through tsx's loader,
// so there is no build step between a clone and a running platform.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
