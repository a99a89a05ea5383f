import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 30_000, hookTimeout: 30_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    // the JSON report gives .ci/run the pass/fail counts of exactly this run
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      { test: { ...shared, name: 'all', include: ['test/**/*.test.ts'] } },
      {
        // the engine's own suites again, with group commit on (one transaction per event-loop turn)
        test: {
          ...shared,
          name: 'group-commit',
          include: ['test/app/**/*.test.ts', 'test/reliability/model.test.ts', 'test/sim/runner.test.ts'],
          env: { WAREHOUSE_GROUP_COMMIT: '1' },
        },
      },
    ],
  },
});
