import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Pipeline tests are CPU-bound and use both cores themselves.
    maxWorkers: 2,
  },
});
