/**
 * Cells of the fault matrix that fail for a defect already known and being fixed: the run stays
 * green and the table shows the cell as `known` with its reference. A marked cell that passes
 * fails the run (the marking must go), so a marking can never hide a fix or outlive it.
 */
import type { Fault } from './faults.js';
import type { Topology } from './topology.js';

/** `<db>/<supplier>/<fault id>` → the defect */
const KNOWN: Record<string, string> = {};

export function knownDefect(t: Topology, f: Fault): string | null {
  return KNOWN[`${t.db}/${t.supplier}/${f.id}`] ?? null;
}
