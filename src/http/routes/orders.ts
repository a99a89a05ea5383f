/**
 * Orders: POST /api/order (and /api/orders) with Idempotency-Key, GET /api/orders/{id},
 * GET /api/orders?status=&limit=&cursor=, POST /api/orders/{id}/cancel and /fulfil (Idempotency-Key).
 */
import { orderJson, orderWithTimelineJson } from '../../app/json.js';
import type { Order } from '../../domain/order.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { answerIdempotently, type IdempotencyDeps } from '../idempotency.js';
import {
  cancelParams,
  DEFAULT_PAGE,
  fulfilParams,
  idempotencyHeaders,
  idParams,
  listQuery,
  ok,
  orderCreateBody,
  orderPageSchema,
  orderSchema,
  orderWithTimelineSchema,
  ORDER_STATE_CONFLICT,
  P,
  PUBLIC,
  SERVER_ERRORS,
  WRITE_FAULTS,
  WRITE_SECURITY,
} from '../schemas.js';
import type { ZodApp } from '../types.js';

export interface OrderRouteOptions {
  warehouse: Warehouse;
  idempotencyTtlMs: number;
  idempotencyLeaseMs: number;
  /** orders per window per client; false: no limit */
  rateLimit: { max: number; timeWindowMs: number } | false;
}

export function orderRoutes(app: ZodApp, opts: OrderRouteOptions): void {
  const { warehouse: w } = opts;
  const location = (id: number) => `/api/orders/${id}`;
  const deps: IdempotencyDeps = { idempotency: w.idempotency, clock: w.clock, ttlMs: opts.idempotencyTtlMs, leaseMs: opts.idempotencyLeaseMs };

  // one limiter (one counter per client) shared by both paths
  const limit = opts.rateLimit ? app.rateLimit({ max: opts.rateLimit.max, timeWindow: opts.rateLimit.timeWindowMs }) : undefined;

  for (const [url, operationId, alias, exampleKey] of [
    ['/api/orders', 'createOrder', '', '8e0b6c1e-7d5a-4c1f-9b7e-2f4d3c2a1b0e'],
    ['/api/order', 'createOrderSingular', ' (the same as POST /api/orders)', '3b1f5e2a-6c4d-4e8f-a0b9-7d2c1e5f8a63'],
  ] as const) {
    app.post(
      url,
      {
        schema: {
          operationId,
          summary: `Create an order${alias}`,
          description:
            'The order is stored pending with its ReserveInventory job, in one transaction; the job runner then reserves it from stock or asks the supplier. Rate limited per client (300 a minute by default).',
          tags: ['orders'],
          headers: idempotencyHeaders(exampleKey),
          body: orderCreateBody,
          security: WRITE_SECURITY,
          response: {
            201: ok('the new order, pending (or, on a replay, the stored answer)', orderSchema),
            401: P[401],
            403: P[403],
            409: P[409],
            413: P[413],
            415: P[415],
            422: P[422],
            429: P[429],
            ...SERVER_ERRORS,
            ...WRITE_FAULTS,
          },
        },
        onRequest: limit ? [limit] : [],
      },
      async (request, reply) =>
        answerIdempotently<Order>(deps, reply, request.headers['idempotency-key'], {
          operation: 'create-order',
          input: request.body,
          run: (idempotent) => w.orders.create(request.body, idempotent),
          answer: (order) => ({ status: 201, body: orderJson(order), location: location(order.id) }),
        }),
    );
  }

  for (const [action, operationId, summary, description, exampleKey] of [
    [
      'cancel',
      'cancelOrder',
      'Cancel an order',
      'pending → cancelled; reserved → cancelled, its units released (a `release` movement) in the same transaction; awaiting_restock (or pending once the supplier was asked) → cancelling, then cancelled once the supplier has cancelled its reservation (202). A final order refuses with 409; nothing changes. A cancelling order is answered 202 again.',
      '6a0c2f1e-1b4d-4f7a-9c3e-5d8b7a6e2f10',
    ],
    [
      'fulfil',
      'fulfilOrder',
      'Fulfil a reserved order',
      'reserved → fulfilled, final: the reserved units leave for good. Any other state refuses with 409; nothing changes.',
      '0d4e6b8a-3c2f-4e1d-8b7a-9f6e5d4c3b21',
    ],
  ] as const) {
    app.post(
      `/api/orders/:id/${action}`,
      {
        schema: {
          operationId,
          summary,
          description,
          tags: ['orders'],
          headers: idempotencyHeaders(exampleKey),
          params: action === 'cancel' ? cancelParams : fulfilParams,
          security: WRITE_SECURITY,
          response: {
            200: ok('the order, changed (or, on a replay, the stored answer)', orderSchema),
            ...(action === 'cancel' ? { 202: ok('the order, cancelling: the supplier is asked to cancel its reservation', orderSchema) } : {}),
            401: P[401],
            403: P[403],
            404: P[404],
            409: ORDER_STATE_CONFLICT,
            422: P[422],
            429: P[429],
            ...SERVER_ERRORS,
            ...WRITE_FAULTS,
          },
        },
      },
      async (request, reply) =>
        answerIdempotently<Order>(deps, reply, request.headers['idempotency-key'], {
          operation: `${action}-order`,
          input: { id: request.params.id },
          run: (idempotent) => (action === 'cancel' ? w.orders.cancel(request.params.id, idempotent) : w.orders.fulfil(request.params.id, idempotent)),
          answer: (order) => ({ status: order.status === 'cancelling' ? 202 : 200, body: orderJson(order) }),
        }),
    );
  }

  app.get(
    '/api/orders/:id',
    {
      schema: {
        operationId: 'getOrder',
        summary: 'An order with its timeline',
        description:
          'Every field of the order and every event of its timeline, oldest first (docs/design.md §3 lists the events and their data). 404 when no order has this id.',
        tags: ['orders'],
        security: PUBLIC,
        params: idParams,
        response: { 200: ok('the order, with every event of its timeline', orderWithTimelineSchema), 404: P[404], 422: P[422], ...SERVER_ERRORS },
      },
    },
    async (request) => orderWithTimelineJson(await w.orders.get(request.params.id)),
  );

  app.get(
    '/api/orders',
    {
      schema: {
        operationId: 'listOrders',
        summary: 'Orders, oldest first (or newest first with order=newest), a page at a time; follow nextCursor for the next page',
        description:
          'The orders in the order they were created (order=newest: the other way round, as the dashboard reads them), optionally of one status. A page holds at most limit orders; nextCursor is the cursor of the next page in the same direction, null on the last.',
        tags: ['orders'],
        security: PUBLIC,
        querystring: listQuery,
        response: { 200: ok('one page of orders, and the cursor of the next (null on the last page)', orderPageSchema), 422: P[422], ...SERVER_ERRORS },
      },
    },
    async (request) => {
      const { status, limit, cursor, order } = request.query;
      const page = await w.orders.list({ status, limit: limit ?? DEFAULT_PAGE, cursor, order });
      return { orders: page.orders.map(orderJson), nextCursor: page.nextCursor };
    },
  );
}
