import { availableParallelism } from 'node:os';
import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { PG_TEST_URL, pgUnavailable } from './test/postgres/support.js';

/** a test or hook still running after a minute is stuck: on a busy machine, process-spawning ones took 30 s */
const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };

/** The suites that run again on PostgreSQL: the port contracts, the engine's flow and properties, the scenario runner, and PostgreSQL's own tests. */
const POSTGRES_SUITES = [
  'test/contract/**/*.test.ts',
  'test/app/**/*.test.ts',
  'test/reliability/model.test.ts',
  'test/sim/runner.test.ts',
  'test/postgres/**/*.test.ts',
];

/** The tests of processes on Redis (and PostgreSQL), and of the browser: `npm run test:services`, with the `postgres` project. */
const SERVICES = ['test/redis/**/*.test.ts', 'test/cli/up.test.ts', 'test/dashboard/browser.test.ts', 'test/sim/svg.test.ts', 'test/matrix/services.test.ts'];

/**
 * What runs again with one transaction per write (`--no-group-commit`): the engine's flow, the
 * store's, queue's and idempotency records' contracts, the faults of the write path (another
 * process's lock, a full disk, a read-only file, damage met at run time, in the engine's file and
 * in the mock's tables) and the fault matrix's cells of the same kind (test/matrix/sqlite.test.ts
 * picks them), and the crash and durability tests (a SIGKILL the moment a 201 arrives, workers
 * killed mid-job). The rest (CLI output, HTTP validation, the dashboard, docs, the start-up lock,
 * which is met before any write) does not depend on how writes are committed, and
 * `test/faults/queued-writes.test.ts` runs both ways in itself. All of them passed both ways when
 * group commit became the default (docs/decisions.md); about 60 s of files, beside the others.
 */
const NO_GROUP_COMMIT = [
  'test/app/**/*.test.ts',
  'test/contract/{store,queue,idempotency,owners}.test.ts',
  'test/reliability/{model,crash,durability}.test.ts',
  'test/faults/{lock,disk-full,read-only,corrupt,mock-trouble}.test.ts',
  'test/matrix/sqlite.test.ts',
];

/**
 * `npm test` runs the projects all, faults and no-group-commit side by side, which need no service;
 * `npm run test:services` runs postgres and services, two files at a time (npm test three): their files
 * start many processes on the shared PostgreSQL and Redis (each with a database, schema or key
 * prefix of its own) and mostly wait on them. One at a time they took 468 s on a quiet 2-core
 * machine, side by side 232–255 s, every test passing (docs/performance.md); side by side under
 * four other sessions' load (10–17) they once ran past their timeouts.
 */
export default defineConfig(async (): Promise<ViteUserConfig> => {
  // no PostgreSQL answering: its suites are skipped with one line saying why — except under CI=true,
  // where the project stays in and its global setup fails the run (CI machines have a server)
  const ci = process.env.CI === 'true';
  const why = ci ? null : await pgUnavailable();
  if (why) console.log(`postgres suites skipped: no PostgreSQL answers at ${PG_TEST_URL} (${why}); start it or set DATABASE_URL`);
  return {
    test: {
      // one worker per core: vitest's default is one fewer (a single worker on a 2-core machine),
      // and these tests wait on processes, sockets and files about as much as they compute.
      // `npm test` (npm names the script it runs in npm_lifecycle_event) takes half as many again:
      // 3 on 2 cores. (It asked for `--maxWorkers=150%` before, which vitest 4 caps at the core
      // count: it ran 2 workers. With 3 the same 1,344 tests took 292 and 301 s against 306–315 s
      // with 2, on a 2-core AMD VM, 2026-12-06; docs/performance.md, "Install and test times".)
      maxWorkers: process.env.npm_lifecycle_event === 'test' ? Math.ceil(availableParallelism() * 1.5) : availableParallelism(),
      // the JSON report gives .ci/run the pass/fail counts of exactly this run (test:services
      // writes .vitest-services.json); the last reporter prints the ten slowest files
      reporters: ['default', 'json', './test/support/slowest-files.ts'],
      outputFile: { json: '.vitest-results.json' },
      projects: [
        {
          test: {
            ...shared,
            name: 'all',
            include: ['test/**/*.test.ts'],
            exclude: ['test/postgres/**', 'test/faults/**', 'test/matrix/sqlite.test.ts', ...SERVICES],
          },
        },
        {
          // the engine's own faults: another process holding the write lock, a disk that fills, a
          // damaged file, a killed run (and the fault matrix's SQLite cells, test/matrix/sqlite.test.ts,
          // faults of the same kind). They run beside the other suites: each mounts its own disk and
          // opens its own files, and what they time is held to the promise on top of the lag the same
          // server showed before the fault, in the same run (test/faults/support.ts faultBoundMs), so
          // a busy machine does not fail them and a server that blocks on the fault does.
          test: {
            ...shared,
            name: 'faults',
            include: ['test/faults/**/*.test.ts', 'test/matrix/sqlite.test.ts'],
          },
        },
        {
          // the plain path again: group commit is the default (one transaction per event-loop
          // turn), so what must hold without it runs a second time with WAREHOUSE_GROUP_COMMIT=0,
          // which test/helpers.ts's engines, test/http/support.ts's servers and every spawned
          // `warehouse` process read: NO_GROUP_COMMIT below
          test: {
            ...shared,
            name: 'no-group-commit',
            include: NO_GROUP_COMMIT,
            env: { WAREHOUSE_GROUP_COMMIT: '0' },
          },
        },
        {
          // the store and queue contracts again on the simulator's in-memory backend (src/adapters/memory),
          // but for what only a database keeps, which it refuses (test/contract/support.ts)
          test: {
            ...shared,
            name: 'memory',
            include: ['test/contract/store.test.ts', 'test/contract/queue.test.ts'],
            env: { WAREHOUSE_TEST_BACKEND: 'memory' },
          },
        },
        { test: { ...shared, name: 'services', include: SERVICES } },
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
