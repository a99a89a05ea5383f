ALTER TABLE `jobs` ADD `virtual` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `jobs_virtual` ON `jobs` (`virtual`) WHERE "jobs"."virtual" = 1;