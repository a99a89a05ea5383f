CREATE TABLE `dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`type` text NOT NULL,
	`order_id` integer NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text NOT NULL,
	`failed_at` integer NOT NULL,
	`retried_at` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `dead_letters_order_id` ON `dead_letters` (`order_id`);--> statement-breakpoint
CREATE TABLE `inventory` (
	`sku` text PRIMARY KEY NOT NULL,
	`on_hand` integer NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "inventory_on_hand_not_negative" CHECK("inventory"."on_hand" >= 0)
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`order_id` integer NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`run_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "jobs_status_known" CHECK("jobs"."status" IN ('queued', 'running'))
);
--> statement-breakpoint
CREATE INDEX `jobs_due` ON `jobs` (`run_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_order_id` ON `jobs` (`order_id`);--> statement-breakpoint
CREATE TABLE `movements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sku` text NOT NULL,
	`type` text NOT NULL,
	`qty` integer NOT NULL,
	`order_id` integer,
	`on_hand_after` integer NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "movements_type_known" CHECK("movements"."type" IN ('reservation', 'restock', 'adjustment')),
	CONSTRAINT "movements_on_hand_after_not_negative" CHECK("movements"."on_hand_after" >= 0),
	CONSTRAINT "movements_qty_not_zero" CHECK("movements"."qty" <> 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `movements_order_type` ON `movements` (`order_id`,`type`);--> statement-breakpoint
CREATE INDEX `movements_sku_id` ON `movements` (`sku`,`id`);--> statement-breakpoint
CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order_id` ON `order_events` (`order_id`,`id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sku` text NOT NULL,
	`qty` integer NOT NULL,
	`status` text NOT NULL,
	`supplier_ref` text,
	`supplier_checks` integer DEFAULT 0 NOT NULL,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "orders_status_known" CHECK("orders"."status" IN ('pending', 'awaiting_restock', 'reserved', 'failed')),
	CONSTRAINT "orders_qty_range" CHECK("orders"."qty" BETWEEN 1 AND 1000000),
	CONSTRAINT "orders_failure_reason_known" CHECK("orders"."failure_reason" IS NULL OR "orders"."failure_reason" IN ('supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable')),
	CONSTRAINT "orders_failed_has_reason" CHECK(("orders"."status" = 'failed') = ("orders"."failure_reason" IS NOT NULL))
);
--> statement-breakpoint
CREATE INDEX `orders_status_id` ON `orders` (`status`,`id`);