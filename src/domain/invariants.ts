/**
 * The invariants of docs/design.md §6 as one table: each rule's name, the message a violation reads
 * and the ids it points at. Each database adapter checks them with SQL of its own dialect, one
 * query per rule keyed by the rule's name (adapters/sqlite/audit.ts, adapters/postgres/audit.ts),
 * and turns the rows each query finds into violations here: the names, messages and ids are
 * written once, whatever the database.
 */

/** a row a rule's query found: the columns its message and ids read */
export type AuditRow = Record<string, unknown>;

export interface InvariantViolation {
  rule: InvariantName;
  message: string;
  ids: { orderId?: number; sku?: string; movementId?: number };
}

interface Invariant {
  message: (r: AuditRow) => string;
  ids: (r: AuditRow) => InvariantViolation['ids'];
}

/** The rules, in the order `warehouse check` reports them; each dialect's SQL returns the columns named here. */
export const INVARIANTS = {
  'on-hand-not-negative': {
    message: (r) => `${r.sku} has on-hand ${r.on_hand}`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  'ledger-matches-on-hand': {
    message: (r) => `${r.sku} has on-hand ${r.on_hand} but its movements sum to ${r.total}`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  'reserved-matches-ledger': {
    message: (r) => `${r.sku}: reserved orders hold ${r.reserved} but the ledger's open reservations come to ${r.held}`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  'one-movement-per-order-and-type': {
    message: (r) => `order ${r.order_id} has ${r.n} ${r.type} movements (${r.movement_ids})`,
    ids: (r) => ({ orderId: Number(r.order_id) }),
  },
  'reserved-has-one-reservation': {
    message: (r) => `${r.status} order ${r.id} has ${r.n} reservation movements (expected 1)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  'unreserved-has-no-movement': {
    message: (r) => `${r.status} order ${r.id} has ${r.n} movements (expected none)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  'release-matches-reservation': {
    message: (r) =>
      `${r.status} order ${r.id} has ${r.released} release and ${r.reservations} reservation movements (a cancelled or expired order releases what it reserved; no other order releases)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  'open-order-has-one-live-job': {
    message: (r) =>
      r.status === 'reserved'
        ? `reserved order ${r.id} has ${r.n} live jobs (expected at most its expiry)`
        : `${r.status} order ${r.id} has ${r.n} live jobs (expected exactly 1 to move it on)`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
  'movement-has-inventory-row': {
    message: (r) => `${r.n} movements for ${r.sku}, which has no inventory row`,
    ids: (r) => ({ sku: String(r.sku) }),
  },
  'order-movement-matches-order': {
    message: (r) => `movement ${r.id} (${r.type} ${r.msku} ${r.qty}) does not match order ${r.order_id} (${r.osku} × ${r.oqty})`,
    ids: (r) => ({ orderId: Number(r.order_id), movementId: Number(r.id) }),
  },
  'no-orphan-rows': {
    message: (r) => `${r.tbl} row ${r.id} points at order ${r.order_id}, which does not exist`,
    ids: (r) => ({ orderId: Number(r.order_id) }),
  },
  'order-has-creation-event': {
    message: (r) => `order ${r.id} has no OrderCreated event`,
    ids: (r) => ({ orderId: Number(r.id) }),
  },
} satisfies Record<string, Invariant>;

export type InvariantName = keyof typeof INVARIANTS;
export const INVARIANT_NAMES = Object.keys(INVARIANTS) as InvariantName[];

/** The violations of `rule` that its query found, one per row. */
export function violationsOf(rule: InvariantName, rows: readonly AuditRow[]): InvariantViolation[] {
  const { message, ids } = INVARIANTS[rule] as Invariant;
  return rows.map((row) => ({ rule, message: message(row), ids: ids(row) }));
}
