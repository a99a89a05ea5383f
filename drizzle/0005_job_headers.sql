ALTER TABLE `dead_letters` ADD `headers` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `headers` text DEFAULT '{}' NOT NULL;