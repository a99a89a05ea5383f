/**
 * The SQLite schema (drizzle). Migrations in `drizzle/` are generated from this file with
 * `npm run db:generate`; the triggers that make the database itself refuse an illegal status
 * transition live in a custom migration next to them. All times are epoch milliseconds.
 */
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import { check, index, integer, sql, sqliteTable, text, uniqueIndex } from './drizzle.js';

export const inventory = sqliteTable(
  'inventory',
  {
    sku: text('sku').primaryKey(),
    onHand: integer('on_hand').notNull(),
    /** bumped on every change: optimistic-locking hook for adapters that want it */
    version: integer('version').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [check('inventory_on_hand_not_negative', sql`${t.onHand} >= 0`)],
);

export const orders = sqliteTable(
  'orders',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sku: text('sku').notNull(),
    qty: integer('qty').notNull(),
    status: text('status', { enum: ['pending', 'awaiting_restock', 'reserved', 'failed', 'cancelling', 'cancelled', 'expired', 'fulfilled'] }).notNull(),
    supplierRef: text('supplier_ref'),
    supplierChecks: integer('supplier_checks').notNull().default(0),
    failureReason: text('failure_reason', {
      enum: ['supplier_rejected', 'supplier_failed', 'supplier_delayed', 'supplier_unavailable', 'supplier_key_conflict'],
    }),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** a multi-line order (docs/design.md §2.6): how many lines it has; 0 for a one-line order and for a line */
    lineCount: integer('line_count').notNull().default(0),
    /** a line of a multi-line order: the order it belongs to, and its number there (1, 2, …) */
    parentId: integer('parent_id').references((): AnySQLiteColumn => orders.id),
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

export const movements = sqliteTable(
  'movements',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sku: text('sku').notNull(),
    type: text('type', { enum: ['reservation', 'restock', 'adjustment', 'release'] }).notNull(),
    qty: integer('qty').notNull(),
    orderId: integer('order_id').references(() => orders.id),
    onHandAfter: integer('on_hand_after').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [
    check('movements_type_known', sql`${t.type} IN ('reservation', 'restock', 'adjustment', 'release')`),
    check('movements_on_hand_after_not_negative', sql`${t.onHandAfter} >= 0`),
    check('movements_qty_not_zero', sql`${t.qty} <> 0`),
    // at most one movement of each type per order (NULL order ids are distinct in SQLite)
    uniqueIndex('movements_order_type').on(t.orderId, t.type),
    index('movements_sku_id').on(t.sku, t.id),
  ],
);

export const orderEvents = sqliteTable(
  'order_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    at: integer('at').notNull(),
    type: text('type').notNull(),
    data: text('data').notNull().default('{}'),
  },
  (t) => [index('order_events_order_id').on(t.orderId, t.id)],
);

export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    type: text('type', { enum: ['ReserveInventory', 'CheckSupplierStatus', 'ExpireReservation', 'CancelSupplierReservation'] }).notNull(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    payload: text('payload').notNull().default('{}'),
    status: text('status', { enum: ['queued', 'running', 'parked'] })
      .notNull()
      .default('queued'),
    runAt: integer('run_at').notNull(),
    /** runs started (claims), whatever ended them */
    attempts: integer('attempts').notNull().default(0),
    /** runs that failed for the supplier's trouble: the attempts spent (ports/queue.ts) */
    failures: integer('failures').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    /** the lease token of the runner holding it */
    lockedBy: text('locked_by'),
    lockedUntil: integer('locked_until'),
    lastError: text('last_error'),
    parkedReason: text('parked_reason'),
    /** 1 when enqueued by a run on the virtual clock: its times are virtual (see queue.ts, rebase) */
    virtual: integer('virtual').notNull().default(0),
    /**
     * message headers, JSON text: the W3C trace context of the span that enqueued the job
     * (`traceparent`, `tracestate`, `warehouse-root`; docs/observability.md). `{}` when tracing is off.
     */
    headers: text('headers').notNull().default('{}'),
    createdAt: integer('created_at').notNull(),
    /**
     * Relay bookkeeping (ports/queue.ts, "relay"), used only when jobs are delivered by an external
     * queue: the generation of the job's current hand-off, when it was handed over (null: not yet),
     * and when a relay should (re)hand it over (0: at once).
     */
    relaySeq: integer('relay_seq').notNull().default(0),
    relayedAt: integer('relayed_at'),
    relayDueAt: integer('relay_due_at').notNull().default(0),
  },
  (t) => [
    check('jobs_status_known', sql`${t.status} IN ('queued', 'running', 'parked')`),
    check('jobs_parked_has_reason', sql`(${t.status} = 'parked') = (${t.parkedReason} IS NOT NULL)`),
    index('jobs_due').on(t.runAt, t.id),
    index('jobs_order_id').on(t.orderId),
    index('jobs_virtual').on(t.virtual).where(sql`${t.virtual} = 1`),
    index('jobs_relay_due').on(t.relayDueAt, t.id),
  ],
);

/**
 * Facts about this database itself, one row per key. `instance`: a random id given by the
 * migration that created the table, so that engines on different databases never share a queue on
 * one Redis (the BullMQ queue is named after it).
 */
export const engineMeta = sqliteTable('engine_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const deadLetters = sqliteTable(
  'dead_letters',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    jobId: integer('job_id').notNull(),
    type: text('type').notNull(),
    orderId: integer('order_id')
      .notNull()
      .references(() => orders.id),
    payload: text('payload').notNull(),
    attempts: integer('attempts').notNull(),
    lastError: text('last_error').notNull(),
    failedAt: integer('failed_at').notNull(),
    retriedAt: integer('retried_at'),
    /** the dead job's headers (jobs.headers), given back to the job `jobs retry` makes of it */
    headers: text('headers').notNull().default('{}'),
  },
  (t) => [index('dead_letters_order_id').on(t.orderId)],
);

/**
 * Idempotency-Key records of the HTTP API (src/http/idempotency.ts, IETF draft
 * httpapi-idempotency-key-header). One row per key: `in_flight` while the first request runs
 * (`locked_until` bounds how long a crashed request can block its key), then `completed` with the
 * stored response. Rows are purged once `expires_at` (24 h after the first request) has passed.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    key: text('key').primaryKey(),
    /** sha-256 of the request (method, operation and canonical JSON body) */
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['in_flight', 'completed'] }).notNull(),
    status: integer('status'),
    /** the stored response body, JSON text */
    body: text('body'),
    /** the stored response's Location header */
    location: text('location'),
    createdAt: integer('created_at').notNull(),
    lockedUntil: integer('locked_until').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    check('idempotency_keys_state_known', sql`${t.state} IN ('in_flight', 'completed')`),
    check('idempotency_keys_completed_has_response', sql`(${t.state} = 'completed') = (${t.status} IS NOT NULL AND ${t.body} IS NOT NULL)`),
    index('idempotency_keys_expires_at').on(t.expiresAt),
  ],
);

/**
 * Named API tokens (src/ports/tokens.ts, docs/security.md): the sha-256 of each token, never the
 * token. `scopes` is a comma-separated list of src/domain/scopes.ts's SCOPES. A revoked token
 * keeps its row (and its name) with `revoked_at` set.
 */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    name: text('name').primaryKey(),
    scopes: text('scopes').notNull(),
    /** sha-256 of the token, hex */
    hash: text('hash').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.hash)],
);
