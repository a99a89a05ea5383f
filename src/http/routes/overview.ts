/**
 * What the dashboard shows at a glance: GET /api/overview (orders per state, the queue's counts,
 * the runner, the clock, whether writes need a token, the settings), GET /api/inventory (every
 * SKU) and GET /api/check (the invariants of docs/design.md §6 on the stored data, as `warehouse check`).
 *
 * Orders per state come from the store's grouped count (one pass over the status index: about
 * 20 ms at 200,000 orders on SQLite, docs/performance.md), not from reading the orders.
 */
import type { Keyring } from '../keyring.js';
import { z } from '../../kit/zod.js';
import { inventoryJson } from '../../app/json.js';
import { describeDatabase } from '../../config.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { ANY_REQUEST, inventorySchema, ok, PUBLIC } from '../schemas.js';
import type { ZodApp } from '../types.js';
import { clockJson } from './clock.js';
import { checkSchema, overviewSchema } from './teaching-schemas.js';

export function overviewRoutes(app: ZodApp, { warehouse: w, keyring }: { warehouse: Warehouse; keyring: Pick<Keyring, 'any'> }): void {
  app.get(
    '/api/overview',
    {
      schema: {
        operationId: 'getOverview',
        summary: 'Orders per state, queue counts, runner, clock, auth and settings at a glance',
        description:
          "What the dashboard's header and state diagram show: orders per state, jobs per state, the runner's state, the clock, whether writes need a token, which supplier answers (the in-process mock or a service), the database, and the settings of the flow.",
        tags: ['teaching'],
        security: PUBLIC,
        response: { 200: ok('the overview', overviewSchema), ...ANY_REQUEST },
      },
    },
    async () => {
      const [orders, jobs] = await Promise.all([w.store.countOrders(), w.jobs.counts()]);
      const s = w.settings;
      const runner = w.runner.status;
      return {
        orders,
        jobs,
        runner: { state: runner.state, reason: runner.reason },
        clock: clockJson(w.clock),
        auth: keyring.any,
        supplier: w.mock ? ('mock' as const) : ('service' as const),
        database: describeDatabase(w.database),
        settings: {
          checkDelayMs: s.checkDelayMs,
          maxDelayedRetries: s.maxDelayedRetries,
          jobAttempts: s.jobAttempts,
          backoffBaseMs: s.backoffBaseMs,
          backoffCapMs: s.backoffCapMs,
          supplierTimeoutMs: s.supplierTimeoutMs,
        },
      };
    },
  );

  app.get(
    '/api/inventory',
    {
      schema: {
        operationId: 'listInventory',
        summary: 'Every SKU with its on-hand and version',
        description: 'Every SKU that has an inventory row (made by its first movement), by SKU, with its on-hand, version and last change.',
        tags: ['inventory'],
        security: PUBLIC,
        response: { 200: ok('every SKU with a stock row (made by its first movement), by SKU', z.array(inventorySchema)), ...ANY_REQUEST },
      },
    },
    async () => (await w.inventory.list()).map(inventoryJson),
  );

  app.get(
    '/api/check',
    {
      schema: {
        operationId: 'checkInvariants',
        summary: 'The invariants on the stored data (as `warehouse check`): ok, or the broken rules',
        description:
          'The rules of docs/design.md §6, checked with SQL on the stored data: no oversell, each ledger equal to its on-hand, at most one movement per order and type, exactly one live job per open order, and the rest. Answers 200 either way: ok, and each broken rule with a message naming what broke it.',
        tags: ['teaching'],
        security: PUBLIC,
        response: { 200: ok('ok, or every rule broken (an answer, not an error: 200 either way)', checkSchema), ...ANY_REQUEST },
      },
    },
    async () => {
      const violations = await w.jobs.audit();
      return { ok: violations.length === 0, violations: violations.map((v) => ({ rule: v.rule, message: v.message })) };
    },
  );
}
