import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

// `npm run test:e2e`: builds the web app (a few seconds; a build left from older sources would
// test the wrong app — E2E_BUILD=0 skips it), then runs the browser tests.
if (process.env.E2E_BUILD !== '0') {
  const b = spawnSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', join(ROOT, 'apps/web/e2e/app.e2e.ts')],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TZ: process.env.TZ ?? 'Asia/Shanghai' },
  },
);
process.exit(r.status ?? 1);
