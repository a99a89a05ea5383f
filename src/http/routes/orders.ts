/**
 * Orders: POST /api/order (and /api/orders) with Idempotency-Key, GET /api/orders/{id},
 * GET /api/orders?status=&limit=&cursor=.
 */
import { z } from 'zod';
import { orderJson, orderWithTimelineJson } from '../../app/json.js';
import type { OrderStatus } from '../../domain/order.js';
import type { Warehouse } from '../../wiring.js';
import { HttpProblem, problem, ProblemType } from '../errors.js';
import { fingerprint, IDEMPOTENCY_KEY_PATTERN, type IdempotencyStore } from '../idempotency.js';
import { idParams, listQuery, orderCreateBody, orderPageSchema, orderSchema, orderWithTimelineSchema, P, SERVER_ERRORS, WRITE_SECURITY } from '../schemas.js';
import type { ZodApp } from '../types.js';

export interface OrderRouteOptions {
  warehouse: Warehouse;
  idempotency: IdempotencyStore;
  idempotencyTtlMs: number;
  idempotencyLeaseMs: number;
  /** orders per window per client; false: no limit */
  rateLimit: { max: number; timeWindowMs: number } | false;
}

const createHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, { error: 'Idempotency-Key must be 1-255 visible ASCII characters' })
    .optional()
    .meta({ description: 'IETF draft Idempotency-Key: a replay within 24 h returns the first response' }),
});

export function orderRoutes(app: ZodApp, opts: OrderRouteOptions): void {
  const { warehouse: w, idempotency } = opts;
  const location = (id: number) => `/api/orders/${id}`;

  // one limiter (one counter per client) shared by both paths
  const limit = opts.rateLimit ? app.rateLimit({ max: opts.rateLimit.max, timeWindow: opts.rateLimit.timeWindowMs }) : undefined;

  for (const url of ['/api/order', '/api/orders']) {
    app.post(
      url,
      {
        schema: {
          summary: 'Create an order (stored pending with its ReserveInventory job)',
          tags: ['orders'],
          headers: createHeaders,
          body: orderCreateBody,
          security: WRITE_SECURITY,
          response: { 201: orderSchema, 401: P[401], 409: P[409], 413: P[413], 415: P[415], 422: P[422], 429: P[429], ...SERVER_ERRORS },
        },
        onRequest: limit ? [limit] : [],
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined) {
          const order = await w.orders.create(request.body);
          return reply.code(201).header('location', location(order.id)).send(orderJson(order));
        }
        const fp = fingerprint('create-order', request.body);
        const begun = await idempotency.begin(key, fp, w.clock.now(), { ttlMs: opts.idempotencyTtlMs, leaseMs: opts.idempotencyLeaseMs });
        switch (begun.kind) {
          case 'replay': {
            const { status, body, location: loc } = begun.response;
            if (loc) reply.header('location', loc);
            return reply.code(status as 201).header('idempotent-replayed', 'true').send(JSON.parse(body) as z.output<typeof orderSchema>);
          }
          case 'mismatch':
            throw new HttpProblem(
              problem(422, 'this Idempotency-Key was already used with a different request body; use a new key for a new order', {
                type: ProblemType.idempotencyMismatch,
                title: 'Idempotency-Key reused',
                field: 'Idempotency-Key',
              }),
            );
          case 'in_flight':
            reply.header('retry-after', '1');
            throw new HttpProblem(
              problem(409, 'a request with this Idempotency-Key is still being processed; retry shortly to get its response', {
                type: ProblemType.idempotencyInFlight,
                title: 'Request in flight',
              }),
            );
          case 'new':
            break;
        }
        try {
          // the response is stored in the transaction that creates the order (see IdempotentResponse)
          const order = await w.orders.create(request.body, {
            key,
            fingerprint: fp,
            respond: (o) => ({ status: 201, body: JSON.stringify(orderJson(o)), location: location(o.id) }),
          });
          return reply.code(201).header('location', location(order.id)).send(orderJson(order));
        } catch (error) {
          await idempotency.release(key, fp).catch((e: unknown) => request.log.error({ err: e }, 'could not release an idempotency key'));
          throw error;
        }
      },
    );
  }

  app.get(
    '/api/orders/:id',
    {
      schema: { summary: 'An order with its timeline', tags: ['orders'], params: idParams, response: { 200: orderWithTimelineSchema, 404: P[404], 422: P[422], ...SERVER_ERRORS } },
    },
    async (request) => orderWithTimelineJson(await w.orders.get(request.params.id)),
  );

  app.get(
    '/api/orders',
    {
      schema: {
        summary: 'Orders, oldest first; follow nextCursor for the next page',
        tags: ['orders'],
        querystring: listQuery,
        response: { 200: orderPageSchema, 422: P[422], ...SERVER_ERRORS },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const page = await w.orders.list({ status: status as OrderStatus | undefined, limit: limit ?? 100, cursor });
      return { orders: page.orders.map(orderJson), nextCursor: page.nextCursor };
    },
  );
}
