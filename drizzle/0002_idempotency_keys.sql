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
--> statement-breakpoint
CREATE INDEX `idempotency_keys_expires_at` ON `idempotency_keys` (`expires_at`);