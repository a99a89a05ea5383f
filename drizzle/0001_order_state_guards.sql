-- The database itself refuses what the domain forbids (docs/design.md §2, §6).
-- Legal transitions, from src/domain/order.ts TRANSITIONS (a test checks every pair against this):
--   pending -> reserved | awaiting_restock | failed;  awaiting_restock -> reserved | failed
CREATE TRIGGER `orders_status_transition`
BEFORE UPDATE OF `status` ON `orders`
WHEN OLD.`status` <> NEW.`status` AND NOT (
  (OLD.`status` = 'pending' AND NEW.`status` IN ('reserved', 'awaiting_restock', 'failed')) OR
  (OLD.`status` = 'awaiting_restock' AND NEW.`status` IN ('reserved', 'failed'))
)
BEGIN
  SELECT RAISE(ABORT, 'illegal order status transition');
END;
--> statement-breakpoint
CREATE TRIGGER `orders_insert_pending`
BEFORE INSERT ON `orders`
WHEN NEW.`status` <> 'pending'
BEGIN
  SELECT RAISE(ABORT, 'an order starts pending');
END;
--> statement-breakpoint
CREATE TRIGGER `orders_fixed_fields`
BEFORE UPDATE OF `sku`, `qty`, `created_at` ON `orders`
WHEN OLD.`sku` <> NEW.`sku` OR OLD.`qty` <> NEW.`qty` OR OLD.`created_at` <> NEW.`created_at`
BEGIN
  SELECT RAISE(ABORT, 'an order''s sku, qty and created_at never change');
END;
--> statement-breakpoint
CREATE TRIGGER `orders_final_is_final`
BEFORE UPDATE ON `orders`
WHEN OLD.`status` IN ('reserved', 'failed') AND (
  NEW.`supplier_ref` IS NOT OLD.`supplier_ref` OR NEW.`supplier_checks` <> OLD.`supplier_checks` OR
  NEW.`failure_reason` IS NOT OLD.`failure_reason`)
BEGIN
  SELECT RAISE(ABORT, 'a final order never changes');
END;
--> statement-breakpoint
-- movements are an append-only ledger
CREATE TRIGGER `movements_append_only_update`
BEFORE UPDATE ON `movements`
BEGIN
  SELECT RAISE(ABORT, 'movements are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `movements_append_only_delete`
BEFORE DELETE ON `movements`
BEGIN
  SELECT RAISE(ABORT, 'movements are append-only');
END;
