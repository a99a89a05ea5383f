-- Multi-line orders (docs/design.md §2.6): a parent order row counts its lines (line_count), each
-- line is an order row of its own (parent_id, line_no) that follows the one-line state machine. The
-- indexes are partial: a one-line order (parent_id NULL) never enters them. The order guards below
-- are the ones of 0007 again (scripts/pg-guards.ts writes them into the newest migration).
ALTER TABLE "orders" ADD COLUMN "line_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "parent_id" integer;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "line_no" integer;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_parent_id_orders_id_fk" FOREIGN KEY ("parent_id") REFERENCES "orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "orders_parent_line" ON "orders" USING btree ("parent_id","line_no") WHERE "orders"."parent_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "orders_line_status" ON "orders" USING btree ("status") WHERE "orders"."parent_id" IS NOT NULL;--> statement-breakpoint
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
