/**
 * The SQL of the custom migration `drizzle-pg/0001_order_state_guards.sql`, generated from the
 * domain's transition table (src/domain/order.ts TRANSITIONS): the database itself refuses an
 * order status change the domain does not allow, an order inserted in any state but `pending`, a
 * change of a final order, and any change to the append-only ledger (docs/design.md §2, §6).
 *
 * `npm run db:generate:pg` writes the file (scripts/pg-guards.ts); a test checks that the file in
 * the tree is exactly this text, so the table and the trigger cannot drift apart.
 */
import { isFinal, ORDER_STATUSES, TRANSITIONS } from '../../domain/order.js';

const list = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

export function orderStateGuardsSql(): string {
  const legal = ORDER_STATUSES.filter((from) => TRANSITIONS[from].length > 0)
    .map((from) => `(OLD.status = '${from}' AND NEW.status IN (${list(TRANSITIONS[from])}))`)
    .join(' OR\n      ');
  const finals = list(ORDER_STATUSES.filter(isFinal));
  const doc = ORDER_STATUSES.filter((from) => TRANSITIONS[from].length > 0)
    .map((from) => `${from} -> ${TRANSITIONS[from].join(' | ')}`)
    .join(';  ');
  const stmts = [
    `-- Generated from src/domain/order.ts TRANSITIONS by src/adapters/postgres/guards.ts: do not edit.
-- The database itself refuses what the domain forbids (docs/design.md §2, §6). Legal transitions:
--   ${doc}
CREATE FUNCTION orders_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
$$;`,
    `CREATE TRIGGER orders_guard BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_guard();`,
    `-- movements are an append-only ledger
CREATE FUNCTION movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'movements are append-only';
END
$$;`,
    `CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements FOR EACH ROW EXECUTE FUNCTION movements_append_only();`,
  ];
  return `${stmts.join('\n--> statement-breakpoint\n')}\n`;
}
