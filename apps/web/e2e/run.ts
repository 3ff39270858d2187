import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.ts';

// `npm run test:e2e`: builds the web app when it is not built, then runs the browser tests.
if (!existsSync(join(ROOT, 'apps/web/dist/index.html')) || process.env.E2E_BUILD === '1') {
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
