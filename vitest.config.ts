import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that run a real server in real time (a process killed and restarted, a WebSocket client
 * waiting for a call): minutes, not seconds. `npm test` leaves them out; `npm run test:slow`
 * runs them, and CI runs both tiers.
 */
const SLOW = ['apps/server/src/kill.test.ts', 'apps/server/src/agent-ws.test.ts'];
/** Real SIP peers (baresip, Kamailio, rtpengine, Chromium): their own tier, `npm run test:telephony` (vitest.telephony.config.ts). */
const TELEPHONY = '**/*.telephony.test.ts';

// Tests live beside the code (*.test.ts). TZ=UTC is set by the npm scripts so that
// nothing passes only in the developer's own time zone.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SLOW, TELEPHONY],
        },
      },
      { extends: true, test: { name: 'slow', include: SLOW } },
    ],
  },
});
