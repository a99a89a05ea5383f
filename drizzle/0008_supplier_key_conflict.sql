-- A new failure reason, supplier_key_conflict (docs/design.md §5.2): SQLite changes a CHECK only by
-- rebuilding the table. The migrator runs with foreign keys off and checks them before it commits
-- (src/adapters/sqlite/open.ts); the PRAGMAs below are no-ops inside its transaction.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sku` text NOT NULL,
	`qty` integer NOT NULL,
	`status` text NOT NULL,
	`supplier_ref` text,
	`supplier_checks` integer DEFAULT 0 NOT NULL,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "orders_status_known" CHECK("__new_orders"."status" IN ('pending', 'awaiting_restock', 'reserved', 'failed')),
	CONSTRAINT "orders_qty_range" CHECK("__new_orders"."qty" BETWEEN 1 AND 1000000),
	CONSTRAINT "orders_failure_reason_known" CHECK("__new_orders"."failure_reason" IS NULL OR "__new_orders"."failure_reason" IN ('supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable', 'supplier_key_conflict')),
	CONSTRAINT "orders_failed_has_reason" CHECK(("__new_orders"."status" = 'failed') = ("__new_orders"."failure_reason" IS NOT NULL))
);
--> statement-breakpoint
INSERT INTO `__new_orders`("id", "sku", "qty", "status", "supplier_ref", "supplier_checks", "failure_reason", "created_at", "updated_at") SELECT "id", "sku", "qty", "status", "supplier_ref", "supplier_checks", "failure_reason", "created_at", "updated_at" FROM `orders`;--> statement-breakpoint
DROP TABLE `orders`;--> statement-breakpoint
ALTER TABLE `__new_orders` RENAME TO `orders`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `orders_status_id` ON `orders` (`status`,`id`);--> statement-breakpoint
-- hand-written: the guards of 0001_order_state_guards.sql went with the old table
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
