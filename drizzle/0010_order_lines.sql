-- Multi-line orders (docs/design.md §2.6): a parent order row counts its lines (line_count), each
-- line is an order row of its own (parent_id, line_no) that follows the one-line state machine and
-- its triggers. The indexes are partial: a one-line order (parent_id NULL) never enters them.
ALTER TABLE `orders` ADD `line_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `parent_id` integer REFERENCES orders(id);--> statement-breakpoint
ALTER TABLE `orders` ADD `line_no` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `orders_parent_line` ON `orders` (`parent_id`,`line_no`) WHERE "orders"."parent_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `orders_line_status` ON `orders` (`status`) WHERE "orders"."parent_id" IS NOT NULL;