import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // the JSON report gives .ci/run the pass/fail counts of exactly this run
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
