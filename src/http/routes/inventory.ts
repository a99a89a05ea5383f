/** Inventory: GET/PUT /api/inventory/{sku}, POST …/restock, GET …/movements. */
import { inventoryJson, movementJson } from '../../app/json.js';
import type { InventoryItem } from '../../domain/inventory.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { answerIdempotently, type IdempotencyDeps } from '../idempotency.js';
import {
  DEFAULT_PAGE,
  idempotencyHeaders,
  inventorySchema,
  movementPageSchema,
  ok,
  P,
  pageQuery,
  PUBLIC,
  restockBody,
  SERVER_ERRORS,
  setOnHandBody,
  skuParams,
  WRITE_FAULTS,
  WRITE_SECURITY,
} from '../schemas.js';
import type { ZodApp } from '../types.js';

export function inventoryRoutes(app: ZodApp, opts: { warehouse: Warehouse; idempotencyTtlMs: number; idempotencyLeaseMs: number }): void {
  const { warehouse: w } = opts;
  const deps: IdempotencyDeps = { idempotency: w.idempotency, clock: w.clock, ttlMs: opts.idempotencyTtlMs, leaseMs: opts.idempotencyLeaseMs };
  app.get(
    '/api/inventory/:sku',
    {
      schema: {
        operationId: 'getInventory',
        summary: "A SKU's on-hand (404 for a SKU never seen)",
        description:
          'On-hand and version (which grows by one with every change of the row). The SKU is trimmed and upper-cased first; a SKU with no inventory row yet (no stock count, restock or delivery ever named it) is 404.',
        tags: ['inventory'],
        security: PUBLIC,
        params: skuParams,
        response: { 200: ok("the SKU's stock", inventorySchema), 404: P[404], 422: P[422], ...SERVER_ERRORS },
      },
    },
    async (request) => inventoryJson(await w.inventory.get(request.params.sku)),
  );

  app.get(
    '/api/inventory/:sku/movements',
    {
      schema: {
        operationId: 'listMovements',
        summary: "A SKU's ledger, oldest first, a page at a time; follow nextCursor for the next page (404 for a SKU never seen)",
        description:
          "Every change of the SKU's on-hand, oldest first: reservation (-qty, for an order), restock (+qty: a restock, or the supplier's delivery for an order) and adjustment (a stock count). The movements sum to the SKU's on-hand.",
        tags: ['inventory'],
        security: PUBLIC,
        params: skuParams,
        querystring: pageQuery,
        response: {
          200: ok('one page of movements, and the cursor of the next (null on the last page)', movementPageSchema),
          404: P[404],
          422: P[422],
          ...SERVER_ERRORS,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await w.inventory.movementPage(request.params.sku, { limit: limit ?? DEFAULT_PAGE, cursor });
      return { movements: page.movements.map(movementJson), nextCursor: page.nextCursor };
    },
  );

  const writeErrors = { 401: P[401], 403: P[403], 413: P[413], 415: P[415], 422: P[422], 429: P[429], ...SERVER_ERRORS, ...WRITE_FAULTS };

  app.put(
    '/api/inventory/:sku',
    {
      schema: {
        operationId: 'setOnHand',
        summary: 'A stock count: on-hand becomes onHand (an adjustment movement of the difference)',
        description: 'Idempotent by nature: the same count twice leaves the same stock (the second writes no movement).',
        tags: ['inventory'],
        security: WRITE_SECURITY,
        params: skuParams,
        body: setOnHandBody,
        response: { 200: ok("the SKU's stock after the count", inventorySchema), ...writeErrors },
      },
    },
    async (request) => inventoryJson(await w.inventory.set(request.params.sku, request.body.onHand)),
  );

  app.post(
    '/api/inventory/:sku/restock',
    {
      schema: {
        operationId: 'restock',
        summary: 'A restock: on-hand grows by qty (a restock movement)',
        description: 'Send an Idempotency-Key to make a retry safe: the stock is then added once.',
        tags: ['inventory'],
        security: WRITE_SECURITY,
        headers: idempotencyHeaders('c5a7e9d1-0f2b-4c6e-9a8d-1b3f5e7c9d20'),
        params: skuParams,
        body: restockBody,
        response: { 200: ok("the SKU's stock after the restock (or, on a replay, the stored answer)", inventorySchema), ...writeErrors, 409: P[409] },
      },
    },
    async (request, reply) =>
      answerIdempotently<InventoryItem>(deps, reply, request.headers['idempotency-key'], {
        operation: 'restock',
        input: { sku: request.params.sku, qty: request.body.qty },
        run: (idempotent) => w.inventory.add(request.params.sku, request.body.qty, idempotent),
        answer: (item) => ({ status: 200, body: inventoryJson(item) }),
      }),
  );
}
