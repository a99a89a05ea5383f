/**
 * Cells of the fault matrix that fail for a defect already known and being fixed: the run stays
 * green and the table shows the cell as `known` with its reference. A marked cell that passes
 * fails the run (the marking must go), so a marking can never hide a fix or outlive it.
 */
import type { Fault } from './faults.js';
import type { Topology } from './topology.js';

/**
 * Found by the matrix and seen only in some runs (it depends on which process's write meets the
 * lock first): such a cell may pass without failing the run. Only for findings, never to hide a
 * fix that did not hold.
 */
const INTERMITTENT = new Set<string>();

/** `<db>/<supplier>/<fault id>` → the defect */
// (empty: finding M1, PostgreSQL's /healthz blind to another session's LOCK TABLE, is fixed — its
// health remembers the last write's database fault and probes the tables without waiting)
const KNOWN: Record<string, string> = {};

export function knownDefect(t: Topology, f: Fault): string | null {
  return KNOWN[`${t.db}/${t.supplier}/${f.id}`] ?? null;
}

export function intermittent(t: Topology, f: Fault): boolean {
  return INTERMITTENT.has(`${t.db}/${t.supplier}/${f.id}`);
}
