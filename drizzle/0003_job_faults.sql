-- jobs gains `failures` (attempts spent on the supplier's trouble), the `parked` state and its reason.
-- (drizzle-kit's copy selected the new columns from the old table; they are filled in here.)
CREATE TABLE `__new_jobs` (
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
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "jobs_status_known" CHECK("__new_jobs"."status" IN ('queued', 'running', 'parked')),
	CONSTRAINT "jobs_parked_has_reason" CHECK(("__new_jobs"."status" = 'parked') = ("__new_jobs"."parked_reason" IS NOT NULL))
);
--> statement-breakpoint
INSERT INTO `__new_jobs`("id", "type", "order_id", "payload", "status", "run_at", "attempts", "failures", "max_attempts", "locked_by", "locked_until", "last_error", "parked_reason", "created_at") SELECT "id", "type", "order_id", "payload", "status", "run_at", "attempts", 0, "max_attempts", "locked_by", "locked_until", "last_error", NULL, "created_at" FROM `jobs`;--> statement-breakpoint
DROP TABLE `jobs`;--> statement-breakpoint
ALTER TABLE `__new_jobs` RENAME TO `jobs`;--> statement-breakpoint
CREATE INDEX `jobs_due` ON `jobs` (`run_at`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_order_id` ON `jobs` (`order_id`);