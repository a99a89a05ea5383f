/**
 * The PostgreSQL schema (drizzle pg-core): the same tables, columns, checks and indexes as the
 * SQLite one (src/adapters/sqlite/schema.ts). Migrations in `drizzle-pg/` are generated from this
 * file with `npm run db:generate:pg`; the triggers live in a custom migration generated from the
 * domain's transition table (triggers.ts).
 *
 * Table names are unqualified: every connection's `search_path` is the backend's schema
 * (`public` unless `?schema=` says otherwise), so one database can hold several engines side by
 * side (tests use one schema each). Times are epoch milliseconds from the Clock port (`bigint`,
 * read as JS numbers), never the server's `now()`.
 */
import { sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, boolean, check, index, integer, json, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });

export const inventory = pgTable(
  'inventory',
  {
    sku: text('sku').primaryKey(),
    onHand: integer('on_hand').notNull(),
    /** bumped on every change: the optimistic strategy compares it */
    version: integer('version').notNull().default(0),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [check('inventory_on_hand_not_negative', sql`${t.onHand} >= 0`)],
);

export const orders = pgTable(
  'orders',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    sku: text('sku').notNull(),
    qty: integer('qty').notNull(),
    status: text('status', { enum: ['pending', 'awaiting_restock', 'reserved', 'failed', 'cancelling', 'cancelled', 'expired', 'fulfilled'] }).notNull(),
    supplierRef: text('supplier_ref'),
    supplierChecks: integer('supplier_checks').notNull().default(0),
    failureReason: text('failure_reason', {
      enum: ['supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable', 'supplier_key_conflict'],
    }),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
    /** a multi-line order (docs/design.md §2.6): how many lines it has; 0 for a one-line order and for a line */
    lineCount: integer('line_count').notNull().default(0),
    /** a line of a multi-line order: the order it belongs to, and its number there (1, 2, …) */
    parentId: integer('parent_id').references((): AnyPgColumn => orders.id),
    lineNo: integer('line_no'),
  },
  (t) => [
    check('orders_status_known', sql`${t.status} IN ('pending', 'awaiting_restock', 'reserved', 'failed', 'cancelling', 'cancelled', 'expired', 'fulfilled')`),
    check('orders_qty_range', sql`${t.qty} BETWEEN 1 AND 1000000`),
    check(
      'orders_failure_reason_known',
      sql`${t.failureReason} IS NULL OR ${t.failureReason} IN ('supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable', 'supplier_key_conflict')`,
    ),
    check('orders_failed_has_reason', sql`(${t.status} = 'failed') = (${t.failureReason} IS NOT NULL)`),
    index('orders_status_id').on(t.status, t.id),
    // the units each SKU's reserved orders hold (the stock views, docs/design.md §2.4)
    index('orders_sku_status').on(t.sku, t.status),
    // the lines of a multi-line order, and their count per status; partial, so a one-line order never touches them
    uniqueIndex('orders_parent_line').on(t.parentId, t.lineNo).where(sql`${t.parentId} IS NOT NULL`),
    index('orders_line_status').on(t.status).where(sql`${t.parentId} IS NOT NULL`),
  ],
);

export const movements = pgTable(
  'movements',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    sku: text('sku').notNull(),
    type: text('type', { enum: ['reservation', 'restock', 'adjustment', 'release'] }).notNull(),
    qty: integer('qty').notNull(),
    orderId: integer('order_id').references(() => orders.id),
    onHandAfter: integer('on_hand_after').notNull(),
    at: ms('at').notNull(),
  },
  (t) => [
    check('movements_type_known', sql`${t.type} IN ('reservation', 'restock', 'adjustment', 'release')`),
    check('movements_on_hand_after_not_negative', sql`${t.onHandAfter} >= 0`),
    check('movements_qty_not_zero', sql`${t.qty} <> 0`),
    // at most one movement of each type per order (NULL order ids are distinct)
    uniqueIndex('movements_order_type').on(t.orderId, t.type),
    index('movements_sku_id').on(t.sku, t.id),
  ],
);

export const orderEvents = pgTable(
  'order_events',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    at: ms('at').notNull(),
    type: text('type').notNull(),
    /** `json`, not `jsonb`: the text is kept as written, keys in their order */
    data: json('data').notNull().default({}),
  },
  (t) => [index('order_events_order_id').on(t.orderId, t.id)],
);

export const jobs = pgTable(
  'jobs',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    type: text('type', { enum: ['ReserveInventory', 'CheckSupplierStatus', 'ExpireReservation', 'CancelSupplierReservation'] }).notNull(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    payload: json('payload').notNull().default({}),
    status: text('status', { enum: ['queued', 'running', 'parked'] })
      .notNull()
      .default('queued'),
    runAt: ms('run_at').notNull(),
    /** runs started (claims), whatever ended them */
    attempts: integer('attempts').notNull().default(0),
    /** runs that failed for the supplier's trouble: the attempts spent (ports/queue.ts) */
    failures: integer('failures').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    /** the lease token of the runner holding it */
    lockedBy: text('locked_by'),
    lockedUntil: ms('locked_until'),
    lastError: text('last_error'),
    parkedReason: text('parked_reason'),
    /** true when enqueued by a run on the virtual clock: its times are virtual (queue.ts, rebase) */
    virtual: boolean('virtual').notNull().default(false),
    /** message headers (W3C traceparent/tracestate), JSON text: the trace the job continues */
    headers: text('headers').notNull().default('{}'),
    createdAt: ms('created_at').notNull(),
    /** relay bookkeeping: see the SQLite schema */
    relaySeq: integer('relay_seq').notNull().default(0),
    relayedAt: ms('relayed_at'),
    relayDueAt: ms('relay_due_at').notNull().default(0),
  },
  (t) => [
    check('jobs_status_known', sql`${t.status} IN ('queued', 'running', 'parked')`),
    check('jobs_parked_has_reason', sql`(${t.status} = 'parked') = (${t.parkedReason} IS NOT NULL)`),
    index('jobs_due').on(t.runAt, t.id),
    index('jobs_order_id').on(t.orderId),
    index('jobs_virtual').on(t.virtual).where(sql`${t.virtual}`),
    index('jobs_relay_due').on(t.relayDueAt, t.id),
  ],
);

/** Facts about this database itself: see the SQLite schema (`instance`: names its queue on Redis). */
export const engineMeta = pgTable('engine_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const deadLetters = pgTable(
  'dead_letters',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    jobId: integer('job_id').notNull(),
    type: text('type').notNull(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    payload: json('payload').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error').notNull(),
    failedAt: ms('failed_at').notNull(),
    retriedAt: ms('retried_at'),
    /** the dead job's headers: a retry continues its trace */
    headers: text('headers').notNull().default('{}'),
  },
  (t) => [index('dead_letters_order_id').on(t.orderId)],
);

/** Idempotency-Key records of the HTTP API: see the SQLite schema for the contract. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    key: text('key').primaryKey(),
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['in_flight', 'completed'] }).notNull(),
    status: integer('status'),
    body: text('body'),
    location: text('location'),
    createdAt: ms('created_at').notNull(),
    lockedUntil: ms('locked_until').notNull(),
    expiresAt: ms('expires_at').notNull(),
  },
  (t) => [
    check('idempotency_keys_state_known', sql`${t.state} IN ('in_flight', 'completed')`),
    check('idempotency_keys_completed_has_response', sql`(${t.state} = 'completed') = (${t.status} IS NOT NULL AND ${t.body} IS NOT NULL)`),
    index('idempotency_keys_expires_at').on(t.expiresAt),
  ],
);

/** Named API tokens (hashes only): see the SQLite schema. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    name: text('name').primaryKey(),
    scopes: text('scopes').notNull(),
    hash: text('hash').notNull(),
    createdAt: ms('created_at').notNull(),
    lastUsedAt: ms('last_used_at'),
    revokedAt: ms('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.hash)],
);

export type MovementRowType = (typeof movements.$inferInsert)['type'];
export type JobRow = typeof jobs.$inferSelect;
