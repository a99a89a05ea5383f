-- The order's lifecycle (docs/design.md §2): the states cancelling, cancelled, expired and
-- fulfilled, the `release` movement, and an index for the reserved units per SKU. SQLite changes a
-- CHECK only by rebuilding the table; the migrator runs with foreign keys off and checks them before
-- it commits (src/adapters/sqlite/open.ts). The triggers of both tables went with the old tables and
-- are written again below, from src/domain/order.ts TRANSITIONS (a test checks every pair):
--   pending -> reserved | awaiting_restock | failed | cancelled | cancelling;
--   awaiting_restock -> reserved | failed | cancelling;  cancelling -> cancelled;
--   reserved -> fulfilled | cancelled | expired
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_movements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sku` text NOT NULL,
	`type` text NOT NULL,
	`qty` integer NOT NULL,
	`order_id` integer,
	`on_hand_after` integer NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "movements_type_known" CHECK("__new_movements"."type" IN ('reservation', 'restock', 'adjustment', 'release')),
	CONSTRAINT "movements_on_hand_after_not_negative" CHECK("__new_movements"."on_hand_after" >= 0),
	CONSTRAINT "movements_qty_not_zero" CHECK("__new_movements"."qty" <> 0)
);
--> statement-breakpoint
INSERT INTO `__new_movements`("id", "sku", "type", "qty", "order_id", "on_hand_after", "at") SELECT "id", "sku", "type", "qty", "order_id", "on_hand_after", "at" FROM `movements`;--> statement-breakpoint
DROP TABLE `movements`;--> statement-breakpoint
ALTER TABLE `__new_movements` RENAME TO `movements`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `movements_order_type` ON `movements` (`order_id`,`type`);--> statement-breakpoint
CREATE INDEX `movements_sku_id` ON `movements` (`sku`,`id`);--> statement-breakpoint
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
	CONSTRAINT "orders_status_known" CHECK("__new_orders"."status" IN ('pending', 'awaiting_restock', 'reserved', 'failed', 'cancelling', 'cancelled', 'expired', 'fulfilled')),
	CONSTRAINT "orders_qty_range" CHECK("__new_orders"."qty" BETWEEN 1 AND 1000000),
	CONSTRAINT "orders_failure_reason_known" CHECK("__new_orders"."failure_reason" IS NULL OR "__new_orders"."failure_reason" IN ('supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable', 'supplier_key_conflict')),
	CONSTRAINT "orders_failed_has_reason" CHECK(("__new_orders"."status" = 'failed') = ("__new_orders"."failure_reason" IS NOT NULL))
);
--> statement-breakpoint
INSERT INTO `__new_orders`("id", "sku", "qty", "status", "supplier_ref", "supplier_checks", "failure_reason", "created_at", "updated_at") SELECT "id", "sku", "qty", "status", "supplier_ref", "supplier_checks", "failure_reason", "created_at", "updated_at" FROM `orders`;--> statement-breakpoint
DROP TABLE `orders`;--> statement-breakpoint
ALTER TABLE `__new_orders` RENAME TO `orders`;--> statement-breakpoint
CREATE INDEX `orders_status_id` ON `orders` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `orders_sku_status` ON `orders` (`sku`,`status`);--> statement-breakpoint
CREATE TRIGGER `orders_status_transition`
BEFORE UPDATE OF `status` ON `orders`
WHEN OLD.`status` <> NEW.`status` AND NOT (
  (OLD.`status` = 'pending' AND NEW.`status` IN ('reserved', 'awaiting_restock', 'failed', 'cancelled', 'cancelling')) OR
  (OLD.`status` = 'awaiting_restock' AND NEW.`status` IN ('reserved', 'failed', 'cancelling')) OR
  (OLD.`status` = 'cancelling' AND NEW.`status` IN ('cancelled')) OR
  (OLD.`status` = 'reserved' AND NEW.`status` IN ('fulfilled', 'cancelled', 'expired'))
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
WHEN OLD.`status` IN ('failed', 'cancelled', 'expired', 'fulfilled') AND (
  NEW.`status` <> OLD.`status` OR
  NEW.`supplier_ref` IS NOT OLD.`supplier_ref` OR NEW.`supplier_checks` <> OLD.`supplier_checks` OR
  NEW.`failure_reason` IS NOT OLD.`failure_reason`)
BEGIN
  SELECT RAISE(ABORT, 'a final order never changes');
END;
--> statement-breakpoint
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
