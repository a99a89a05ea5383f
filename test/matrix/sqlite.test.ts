/**
 * The fault matrix's quick cells (issue 18): SQLite with `serve` + `work`, with the in-process mock
 * and with `warehouse supplier serve`, under the faults that apply to SQLite (the choice below). Each cell runs the
 * real bin/warehouse processes and the same five checks (test/matrix/checks.ts). The table is
 * printed; a cell that fails for a defect not marked known fails the test. The PostgreSQL and
 * Redis columns run in test/matrix/services.test.ts and `npm run soak -- --only matrix`.
 */
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { groupCommit } from '../helpers.js';
import type { CellResult } from './cell.js';
import { FAULTS, LOCK_MS } from './faults.js';
import { renderTable, runMatrix } from './matrix.js';
import { type SupplierKind, TOPOLOGIES } from './topology.js';

/**
 * The cells `npm test` runs: each SQLite fault once, on the supplier that makes it telling (the
 * in-process mock where the database's trouble could be blamed on the supplier; the service where
 * the fault is the service's). Every other cell, and those that hold a lock for LOCK_MS (10 s:
 * in `npm test` the same lock under load is test/faults/lock.test.ts's), run in
 * `npm run soak -- --only matrix`: the matrix's share of CI stays a few minutes.
 */
const QUICK: Array<[SupplierKind, string]> = [
  ['mock', 'disk-full'],
  ['mock', 'corrupt-late'],
  ['service', 'corrupt-late'],
  ['service', 'supplier-kill'],
  ['service', 'process-kill'],
  ['service', 'shared-supplier'],
  ['mock', 'port-in-use'],
];

/**
 * The cells whose fault is the database's or a process's death: what a commit does differs between
 * group commit and one transaction per write there, so the `no-group-commit` project
 * (WAREHOUSE_GROUP_COMMIT=0, read by every `warehouse` process a cell starts) runs these again.
 */
const COMMIT_CELLS = new Set(['mock disk-full', 'mock corrupt-late', 'service process-kill']);
const cells = groupCommit() ? QUICK : QUICK.filter(([supplier, id]) => COMMIT_CELLS.has(`${supplier} ${id}`));

/** cells run side by side: three keep two cores busy without starving a cell's own processes */
const CELLS_AT_ONCE = 3;

describe('the fault matrix on SQLite (serve + work; in-process mock and supplier serve)', () => {
  it('holds the five checks in every cell that applies', { timeout: 600_000 }, async () => {
    // the cells are separate processes, files and ports, and mostly wait on real time (a fault's
    // length, the supplier's check delay): CELLS_AT_ONCE run side by side
    const queue = new PQueue({ concurrency: CELLS_AT_ONCE });
    const perCell = await Promise.all(
      cells.map(([supplier, id]) =>
        queue.add(async () => {
          const topology = TOPOLOGIES.find((t) => t.db === 'sqlite' && t.supplier === supplier)!;
          return (await runMatrix([topology], [FAULTS.find((f) => f.id === id)!], (line) => console.log(line))).results;
        }),
      ),
    );
    const results: CellResult[] = perCell.flat();
    const run = { results, machine: { pg: null, redis: null, tmpfs: null } };
    console.log(
      renderTable(
        run,
        TOPOLOGIES.filter((t) => t.db === 'sqlite'),
      ),
    );
    console.log(`(the other cells, and those with a ${LOCK_MS / 1000} s lock: npm run soak -- --only matrix)`);
    const failing = run.results.filter((r) => r.status === 'FAIL').map((r) => `${r.fault.label} · ${r.topology.supplier}: ${r.problems.join('; ')}`);
    expect(failing).toEqual([]);
    // every cell chosen applies and ran: none may silently become n/a (a tmpfs needs root: CI runs as root)
    const na = run.results.filter((r) => r.status === 'n/a').map((r) => `${r.fault.label}: ${r.note}`);
    if (process.env.CI === 'true' || process.getuid?.() === 0) expect(na).toEqual([]);
    else if (na.length) console.log(`not run here: ${na.join('; ')}`);
  });
});
