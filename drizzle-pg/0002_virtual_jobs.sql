ALTER TABLE "jobs" ADD COLUMN "virtual" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "jobs_virtual" ON "jobs" USING btree ("virtual") WHERE "jobs"."virtual";