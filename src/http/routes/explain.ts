/** GET /api/orders/{id}/explain: why the order is where it is (src/app/explain.ts), as JSON. */
import { explainOrder, type Explanation } from '../../app/explain.js';
import type { Warehouse } from '../../wiring/warehouse.js';
import { idParams, ok, P, PUBLIC, SERVER_ERRORS } from '../schemas.js';
import type { ZodApp } from '../types.js';
import { explanationSchema } from './teaching-schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();

export const explanationJson = (x: Explanation) => ({ ...x, events: x.events.map((e) => ({ ...e, at: iso(e.at) })) });

export function explainRoutes(app: ZodApp, { warehouse: w }: { warehouse: Warehouse }): void {
  app.get(
    '/api/orders/:id/explain',
    {
      schema: {
        operationId: 'explainOrder',
        summary: 'Why the order is where it is: its state path, a one-line account, a sentence per event, what comes next',
        description:
          "What warehouse order explain prints, as JSON. It is read from the order's timeline, so it holds whatever settings the order ran under; for an order still open it says what it waits for. 404 when no order has this id.",
        tags: ['orders', 'teaching'],
        security: PUBLIC,
        params: idParams,
        response: { 200: ok('the explanation (as `warehouse order explain`)', explanationSchema), 404: P[404], 422: P[422], ...SERVER_ERRORS },
      },
    },
    async (request) => {
      const order = await w.orders.get(request.params.id);
      return explanationJson(explainOrder(order, order.events, w.settings));
    },
  );
}
