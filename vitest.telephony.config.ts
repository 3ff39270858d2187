import { defineConfig } from 'vitest/config';

// The telephony tier (npm run test:telephony): real SIP peers (baresip, Kamailio, rtpengine,
// Chromium) on loopback. Kept out of the default `npm test`; one file at a time, bounded.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.telephony.test.ts', 'apps/*/src/**/*.telephony.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
