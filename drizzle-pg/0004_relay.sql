CREATE TABLE "engine_meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "relay_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "relayed_at" bigint;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "relay_due_at" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "jobs_relay_due" ON "jobs" USING btree ("relay_due_at","id");--> statement-breakpoint
-- hand-written: this database's own id (names its queue on Redis; see schema.ts, engine_meta)
INSERT INTO "engine_meta" ("key", "value") VALUES ('instance', replace(gen_random_uuid()::text, '-', ''));
--> statement-breakpoint
-- hand-written: relays learn at once of jobs enqueued by a process that relays nothing itself
-- (LISTEN/NOTIFY: one notification per statement, sent at commit, on a channel of this schema's
-- own). Only sessions started with warehouse.notify_enqueues=on notify: a NOTIFY serialises the
-- commits that send one, and the engines that enqueue the most wake their own relay in-process.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(left('warehouse_jobs.' || TG_TABLE_SCHEMA, 63), '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH STATEMENT
  WHEN (current_setting('warehouse.notify_enqueues', true) = 'on') EXECUTE FUNCTION jobs_notify();
