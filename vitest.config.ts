import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { PG_TEST_URL, pgUnavailable } from './test/postgres/support.js';

const shared = { testTimeout: 30_000, hookTimeout: 30_000, pool: 'forks' as const };

/** The suites that run again on PostgreSQL: the port contracts, the engine's flow and properties, the scenario runner, and PostgreSQL's own tests. */
const POSTGRES_SUITES = [
  'test/contract/**/*.test.ts',
  'test/app/**/*.test.ts',
  'test/reliability/model.test.ts',
  'test/sim/runner.test.ts',
  'test/postgres/**/*.test.ts',
];

export default defineConfig(async (): Promise<ViteUserConfig> => {
  // no PostgreSQL answering: its suites are skipped with one line saying why — except under CI=true,
  // where the project stays in and its global setup fails the run (CI machines have a server)
  const ci = process.env.CI === 'true';
  const why = ci ? null : await pgUnavailable();
  if (why) console.log(`postgres suites skipped: no PostgreSQL answers at ${PG_TEST_URL} (${why}); start it or set DATABASE_URL`);
  return {
    test: {
      // the JSON report gives .ci/run the pass/fail counts of exactly this run
      reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
      projects: [
        { test: { ...shared, name: 'all', include: ['test/**/*.test.ts'], exclude: ['test/postgres/**', 'test/faults/**'] } },
        {
          // the engine's own faults measure the event loop's lag (under 100 ms): they run last, one
          // file at a time, so that other suites' processes do not take the CPU from the one measured
          test: { ...shared, name: 'faults', include: ['test/faults/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
        },
        {
          // the engine's own suites again, with group commit on (one transaction per event-loop turn)
          test: {
            ...shared,
            name: 'group-commit',
            include: ['test/app/**/*.test.ts', 'test/reliability/model.test.ts', 'test/sim/runner.test.ts'],
            env: { WAREHOUSE_GROUP_COMMIT: '1' },
          },
        },
        ...(why
          ? []
          : [
              {
                // the same suites on PostgreSQL: each engine on a fresh schema of DATABASE_URL, dropped after its file
                test: {
                  ...shared,
                  name: 'postgres',
                  include: POSTGRES_SUITES,
                  env: { WAREHOUSE_TEST_DATABASE: 'postgres' },
                  globalSetup: ['test/postgres/global-setup.ts'],
                },
              },
            ]),
      ],
    },
  };
});
