/**
 * The order guards of PostgreSQL, generated from the domain's transition table (src/domain/order.ts
 * TRANSITIONS): the database itself refuses an order status change the domain does not allow, an
 * order inserted in any state but `pending`, a change of a final order, and any change to the
 * append-only ledger (docs/design.md §2, §6).
 *
 * `drizzle-pg/0001_order_state_guards.sql` created them; a migration that
 * changes the table replaces the function (`orderGuardFunctionSql`, `CREATE OR REPLACE`), appended to
 * the newest migration by `npm run db:generate:pg` (scripts/pg-guards.ts). A test checks that the
 * newest migration holding the function holds exactly this text, so table and trigger cannot drift.
 */
import { isFinal, ORDER_STATUSES, TRANSITIONS } from '../../domain/order.js';

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** Marks the generated part of a migration (scripts/pg-guards.ts replaces from here to the end). */
export const GUARDS_MARKER = '-- Generated from src/domain/order.ts TRANSITIONS by src/adapters/postgres/guards.ts: do not edit.';

/** The guard function as the transition table says today, replacing the one an earlier migration made. */
export function orderGuardFunctionSql(): string {
  return `${GUARDS_MARKER}\n${guardFunction('CREATE OR REPLACE FUNCTION')}\n`;
}

function guardFunction(create: 'CREATE OR REPLACE FUNCTION'): string {
  const legal = ORDER_STATUSES.filter((from) => TRANSITIONS[from].length > 0)
    .map((from) => `(OLD.status = '${from}' AND NEW.status IN (${list(TRANSITIONS[from])}))`)
    .join(' OR\n      ');
  const finals = list(ORDER_STATUSES.filter(isFinal));
  const doc = ORDER_STATUSES.filter((from) => TRANSITIONS[from].length > 0)
    .map((from) => `${from} -> ${TRANSITIONS[from].join(' | ')}`)
    .join(';  ');
  return `-- The database itself refuses what the domain forbids (docs/design.md §2, §6). Legal transitions:
--   ${doc}
${create} orders_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'pending' THEN
      RAISE EXCEPTION 'an order starts pending';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.sku <> OLD.sku OR NEW.qty <> OLD.qty OR NEW.created_at <> OLD.created_at THEN
    RAISE EXCEPTION 'an order''s sku, qty and created_at never change';
  END IF;
  IF OLD.status IN (${finals}) AND (NEW.supplier_ref IS DISTINCT FROM OLD.supplier_ref
      OR NEW.supplier_checks <> OLD.supplier_checks OR NEW.failure_reason IS DISTINCT FROM OLD.failure_reason) THEN
    RAISE EXCEPTION 'a final order never changes';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
      ${legal}) THEN
    RAISE EXCEPTION 'illegal order status transition: % -> %', OLD.status, NEW.status;
  END IF;
  RETURN NEW;
END
$$;`;
}
