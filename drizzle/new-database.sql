-- The end state of drizzle/0000…, in one script, for a new file (src/adapters/sqlite/open.ts).
-- Written by test/adapters/new-database.test.ts from the migrations: do not edit; after
-- `npm run db:generate`, run `npx vitest run --project all test/adapters/new-database.test.ts -u`.
CREATE TABLE `dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`type` text NOT NULL,
	`order_id` integer NOT NULL,
	`payload` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text NOT NULL,
	`failed_at` integer NOT NULL,
	`retried_at` integer, `headers` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
CREATE INDEX `dead_letters_order_id` ON `dead_letters` (`order_id`);
CREATE TABLE `inventory` (
	`sku` text PRIMARY KEY NOT NULL,
	`on_hand` integer NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "inventory_on_hand_not_negative" CHECK("inventory"."on_hand" >= 0)
);
CREATE TABLE `order_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`at` integer NOT NULL,
	`type` text NOT NULL,
	`data` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
CREATE INDEX `order_events_order_id` ON `order_events` (`order_id`,`id`);
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`fingerprint` text NOT NULL,
	`state` text NOT NULL,
	`status` integer,
	`body` text,
	`location` text,
	`created_at` integer NOT NULL,
	`locked_until` integer NOT NULL,
	`expires_at` integer NOT NULL,
	CONSTRAINT "idempotency_keys_state_known" CHECK("idempotency_keys"."state" IN ('in_flight', 'completed')),
	CONSTRAINT "idempotency_keys_completed_has_response" CHECK(("idempotency_keys"."state" = 'completed') = ("idempotency_keys"."status" IS NOT NULL AND "idempotency_keys"."body" IS NOT NULL))
);
CREATE INDEX `idempotency_keys_expires_at` ON `idempotency_keys` (`expires_at`);
CREATE TABLE "jobs" (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`order_id` integer NOT NULL,
	`payload` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`run_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`locked_by` text,
	`locked_until` integer,
	`last_error` text,
	`parked_reason` text,
	`created_at` integer NOT NULL, `virtual` integer DEFAULT 0 NOT NULL, `headers` text DEFAULT '{}' NOT NULL, `relay_seq` integer DEFAULT 0 NOT NULL, `relayed_at` integer, `relay_due_at` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "jobs_status_known" CHECK("jobs"."status" IN ('queued', 'running', 'parked')),
	CONSTRAINT "jobs_parked_has_reason" CHECK(("jobs"."status" = 'parked') = ("jobs"."parked_reason" IS NOT NULL))
);
CREATE INDEX `jobs_due` ON `jobs` (`run_at`,`id`);
CREATE INDEX `jobs_order_id` ON `jobs` (`order_id`);
CREATE INDEX `jobs_virtual` ON `jobs` (`virtual`) WHERE "jobs"."virtual" = 1;
CREATE TABLE `engine_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
CREATE INDEX `jobs_relay_due` ON `jobs` (`relay_due_at`,`id`);
CREATE TABLE `api_tokens` (
	`name` text PRIMARY KEY NOT NULL,
	`scopes` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`hash`);
CREATE TABLE "movements" (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sku` text NOT NULL,
	`type` text NOT NULL,
	`qty` integer NOT NULL,
	`order_id` integer,
	`on_hand_after` integer NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "movements_type_known" CHECK("movements"."type" IN ('reservation', 'restock', 'adjustment', 'release')),
	CONSTRAINT "movements_on_hand_after_not_negative" CHECK("movements"."on_hand_after" >= 0),
	CONSTRAINT "movements_qty_not_zero" CHECK("movements"."qty" <> 0)
);
CREATE UNIQUE INDEX `movements_order_type` ON `movements` (`order_id`,`type`);
CREATE INDEX `movements_sku_id` ON `movements` (`sku`,`id`);
CREATE TABLE "orders" (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sku` text NOT NULL,
	`qty` integer NOT NULL,
	`status` text NOT NULL,
	`supplier_ref` text,
	`supplier_checks` integer DEFAULT 0 NOT NULL,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL, `line_count` integer DEFAULT 0 NOT NULL, `parent_id` integer REFERENCES orders(id), `line_no` integer,
	CONSTRAINT "orders_status_known" CHECK("orders"."status" IN ('pending', 'awaiting_restock', 'reserved', 'failed', 'cancelling', 'cancelled', 'expired', 'fulfilled')),
	CONSTRAINT "orders_qty_range" CHECK("orders"."qty" BETWEEN 1 AND 1000000),
	CONSTRAINT "orders_failure_reason_known" CHECK("orders"."failure_reason" IS NULL OR "orders"."failure_reason" IN ('supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable', 'supplier_key_conflict')),
	CONSTRAINT "orders_failed_has_reason" CHECK(("orders"."status" = 'failed') = ("orders"."failure_reason" IS NOT NULL))
);
CREATE INDEX `orders_status_id` ON `orders` (`status`,`id`);
CREATE INDEX `orders_sku_status` ON `orders` (`sku`,`status`);
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
CREATE TRIGGER `orders_insert_pending`
BEFORE INSERT ON `orders`
WHEN NEW.`status` <> 'pending'
BEGIN
  SELECT RAISE(ABORT, 'an order starts pending');
END;
CREATE TRIGGER `orders_fixed_fields`
BEFORE UPDATE OF `sku`, `qty`, `created_at` ON `orders`
WHEN OLD.`sku` <> NEW.`sku` OR OLD.`qty` <> NEW.`qty` OR OLD.`created_at` <> NEW.`created_at`
BEGIN
  SELECT RAISE(ABORT, 'an order''s sku, qty and created_at never change');
END;
CREATE TRIGGER `orders_final_is_final`
BEFORE UPDATE ON `orders`
WHEN OLD.`status` IN ('failed', 'cancelled', 'expired', 'fulfilled') AND (
  NEW.`status` <> OLD.`status` OR
  NEW.`supplier_ref` IS NOT OLD.`supplier_ref` OR NEW.`supplier_checks` <> OLD.`supplier_checks` OR
  NEW.`failure_reason` IS NOT OLD.`failure_reason`)
BEGIN
  SELECT RAISE(ABORT, 'a final order never changes');
END;
CREATE TRIGGER `movements_append_only_update`
BEFORE UPDATE ON `movements`
BEGIN
  SELECT RAISE(ABORT, 'movements are append-only');
END;
CREATE TRIGGER `movements_append_only_delete`
BEFORE DELETE ON `movements`
BEGIN
  SELECT RAISE(ABORT, 'movements are append-only');
END;
CREATE UNIQUE INDEX `orders_parent_line` ON `orders` (`parent_id`,`line_no`) WHERE "orders"."parent_id" IS NOT NULL;
CREATE INDEX `orders_line_status` ON `orders` (`status`) WHERE "orders"."parent_id" IS NOT NULL;
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('5225677b86cecae10b9712f168cdfd9936961bc1b7ddbfee7c2ded0cdc6e04e4', 1795644786240);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('d269f6a693bce7da84d05640fb23171e7ad30e3ed9e79d87861cb95c4ccd2a44', 1795644787309);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('9f1bda088db0a644eaf5a717a76f465c903ee31752db8ffcd0053a667374e302', 1795645441107);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('f4fc107141b92013973081a9cfa46473420d38b09b4666004bef575de91c413b', 1795675882822);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('20ad3af0b8df890f50fc7666407e64cdcc0c7416a6c14d10430f3c6248cc5028', 1795677337545);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('a55fcea865b26873537332a611e3d3279e62f5dcf72b66b567ecd94b3b53cb22', 1795679181478);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('59528d73cf6a8f710f38cf5bdc24c45dcad9867f405c6c6e9b981f00eb758d54', 1795686335607);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('8dc3a1517cda477d73aae889b7621e5e9727b09bf26c38706205848210401ebd', 1796502426812);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('d724ea687f57edb8156bbdf910e412a5c4f272489613b1c98289f5e92a63825a', 1796506731498);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('94743c15da4b5dacbaeee90bf2a76c2aedeb25bc582ec9dd3301dd6e8be7ff7b', 1796514258391);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('0150d0d2e11ef77dad48757aedfc9e43268fc2b8107f6354d35bf4747ee255e4', 1796524165821);
INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', 0);
INSERT INTO sqlite_sequence (name, seq) VALUES ('movements', 0);
INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 0);
INSERT INTO `engine_meta` (`key`, `value`) VALUES ('instance', lower(hex(randomblob(16))));
