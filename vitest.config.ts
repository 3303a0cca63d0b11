import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Packages of this repository (the bot, the sandbox) are loaded from their TypeScript source.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts', 'sandbox/test/**/*.test.ts'],
    globalSetup: ['test/support/global-redis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration files start servers and workers; a few at a time keeps a 2-core machine honest.
    maxWorkers: 2,
  },
});
