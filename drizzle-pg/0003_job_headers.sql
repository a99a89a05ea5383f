ALTER TABLE "dead_letters" ADD COLUMN "headers" text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "headers" text DEFAULT '{}' NOT NULL;