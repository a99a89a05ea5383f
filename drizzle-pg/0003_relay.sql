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
-- hand-written: a relay in another process learns at once that jobs were enqueued (LISTEN/NOTIFY;
-- one notification per statement, sent at commit, on a channel of this schema's own)
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(left('warehouse_jobs.' || TG_TABLE_SCHEMA, 63), '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify();
