ALTER TABLE "movements" DROP CONSTRAINT "movements_type_known";--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_status_known";--> statement-breakpoint
CREATE INDEX "orders_sku_status" ON "orders" USING btree ("sku","status");--> statement-breakpoint
ALTER TABLE "movements" ADD CONSTRAINT "movements_type_known" CHECK ("movements"."type" IN ('reservation', 'restock', 'adjustment', 'release'));--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_status_known" CHECK ("orders"."status" IN ('pending', 'awaiting_restock', 'reserved', 'failed', 'cancelling', 'cancelled', 'expired', 'fulfilled'));--> statement-breakpoint
-- Generated from src/domain/order.ts TRANSITIONS by src/adapters/postgres/guards.ts: do not edit.
-- The database itself refuses what the domain forbids (docs/design.md §2, §6). Legal transitions:
--   pending -> reserved | awaiting_restock | failed | cancelled | cancelling;  awaiting_restock -> reserved | failed | cancelling;  reserved -> fulfilled | cancelled | expired;  cancelling -> cancelled
CREATE OR REPLACE FUNCTION orders_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
  IF OLD.status IN ('failed', 'cancelled', 'expired', 'fulfilled') AND (NEW.supplier_ref IS DISTINCT FROM OLD.supplier_ref
      OR NEW.supplier_checks <> OLD.supplier_checks OR NEW.failure_reason IS DISTINCT FROM OLD.failure_reason) THEN
    RAISE EXCEPTION 'a final order never changes';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
      (OLD.status = 'pending' AND NEW.status IN ('reserved', 'awaiting_restock', 'failed', 'cancelled', 'cancelling')) OR
      (OLD.status = 'awaiting_restock' AND NEW.status IN ('reserved', 'failed', 'cancelling')) OR
      (OLD.status = 'reserved' AND NEW.status IN ('fulfilled', 'cancelled', 'expired')) OR
      (OLD.status = 'cancelling' AND NEW.status IN ('cancelled'))) THEN
    RAISE EXCEPTION 'illegal order status transition: % -> %', OLD.status, NEW.status;
  END IF;
  RETURN NEW;
END
$$;
