-- Generated from src/domain/order.ts TRANSITIONS by src/adapters/postgres/guards.ts: do not edit.
-- The database itself refuses what the domain forbids (docs/design.md §2, §6). Legal transitions:
--   pending -> reserved | awaiting_restock | failed;  awaiting_restock -> reserved | failed
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
  IF OLD.status IN ('reserved', 'failed') AND (NEW.supplier_ref IS DISTINCT FROM OLD.supplier_ref
      OR NEW.supplier_checks <> OLD.supplier_checks OR NEW.failure_reason IS DISTINCT FROM OLD.failure_reason) THEN
    RAISE EXCEPTION 'a final order never changes';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
      (OLD.status = 'pending' AND NEW.status IN ('reserved', 'awaiting_restock', 'failed')) OR
      (OLD.status = 'awaiting_restock' AND NEW.status IN ('reserved', 'failed'))) THEN
    RAISE EXCEPTION 'illegal order status transition: % -> %', OLD.status, NEW.status;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER orders_guard BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION orders_guard();
--> statement-breakpoint
-- movements are an append-only ledger
CREATE FUNCTION movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'movements are append-only';
END
$$;
--> statement-breakpoint
CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements FOR EACH ROW EXECUTE FUNCTION movements_append_only();
