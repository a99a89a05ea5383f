/**
 * The fault matrix's PostgreSQL and Redis cells that CI runs (issue 18), in the services project:
 * the faults only these topologies have (a private PostgreSQL restarted or its backends
 * terminated, the mock's tables locked by another session, a private Redis restarted empty) and a
 * process kill under `up`. Every cell of every topology runs in `npm run soak -- --only matrix`,
 * whose table docs/reliability.md keeps. Without the PostgreSQL binaries or redis-server the cells
 * say so (n/a) and the test prints it, except under CI=true, where it fails.
 */
import { describe, expect, it } from 'vitest';
import { FAULTS } from './faults.js';
import { renderTable, runMatrix } from './matrix.js';
import { TOPOLOGIES } from './topology.js';

const pick = (db: string, supplier: string) => TOPOLOGIES.find((t) => t.db === db && t.supplier === supplier)!;
const CELLS: Array<[ReturnType<typeof pick>, string[]]> = [
  [pick('pg', 'mock'), ['write-lock', 'pg-restart', 'pg-terminate', 'mock-locked']],
  [pick('pg-redis', 'service'), ['pg-restart', 'redis-restart', 'process-kill']],
];

describe('the fault matrix on PostgreSQL and PostgreSQL + Redis (the cells CI runs)', () => {
  it('holds the five checks in each cell', { timeout: 900_000 }, async () => {
    // the two topologies side by side: each runs on a private PostgreSQL (and redis-server) of its
    // own, and its cells mostly wait on real time (a restart, a lease, the supplier's check delay)
    const runs = await Promise.all(
      CELLS.map(async ([topology, ids]) => {
        const run = await runMatrix(
          [topology],
          FAULTS.filter((f) => ids.includes(f.id)),
          (line) => console.log(line),
        );
        console.log(renderTable(run, [topology]));
        return run;
      }),
    );
    const results = runs.flatMap((run) => run.results);
    const missing = runs.map((run) => run.machine.pg ?? run.machine.redis).find(Boolean);
    if (missing && process.env.CI === 'true') throw new Error(`the matrix needs a private PostgreSQL and redis-server (CI=true): ${missing}`);
    expect(
      results.filter((r) => r.status === 'FAIL').map((r) => `${r.fault.label} · ${r.topology.db}/${r.topology.supplier}: ${r.problems.join('; ')}`),
    ).toEqual([]);
    expect(results.length).toBe(CELLS.reduce((n, [, ids]) => n + ids.length, 0));
  });
});
