import { defineConfig } from 'vitest/config';

// Tests live beside the code (*.test.ts). TZ=UTC is set by the npm script so that
// nothing passes only in the developer's own time zone.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
