CREATE TABLE `engine_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `jobs` ADD `relay_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `relayed_at` integer;--> statement-breakpoint
ALTER TABLE `jobs` ADD `relay_due_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_relay_due` ON `jobs` (`relay_due_at`,`id`);--> statement-breakpoint
-- hand-written: this database's own id (names its queue on Redis; see schema.ts, engine_meta)
INSERT INTO `engine_meta` (`key`, `value`) VALUES ('instance', lower(hex(randomblob(16))));
