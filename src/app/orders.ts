/** Order use cases: create (with its outbox job), read, list. */
import { NotFoundError } from '../domain/errors.js';
import type { TimelineEvent } from '../domain/events.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { planCreateOrder } from '../domain/plans.js';
import { parseOrderInput } from '../domain/validation.js';
import type { Clock } from '../ports/clock.js';
import type { IdempotentResponse, OrderPage, Store } from '../ports/store.js';
import { NO_TRACING, type Tracing } from '../ports/tracing.js';
import type { Bus } from './bus.js';
import { publishApplied } from './publish.js';

export interface OrderWithTimeline extends Order {
  events: TimelineEvent[];
}

export interface OrderService {
  /** Validates, stores the order `pending` with OrderCreated and its ReserveInventory job, atomically. */
  create(input: { sku: unknown; qty: unknown }, idempotent?: IdempotentResponse): Promise<Order>;
  get(id: number): Promise<OrderWithTimeline>;
  list(query?: { status?: OrderStatus; limit?: number; cursor?: number; order?: 'oldest' | 'newest' }): Promise<OrderPage>;
}

export function createOrderService({ store, clock, bus, tracing = NO_TRACING }: { store: Store; clock: Clock; bus: Bus; tracing?: Tracing }): OrderService {
  return {
    async create(input, idempotent) {
      const { sku, qty } = parseOrderInput(input.sku, input.qty);
      // the order's trace starts here when no request or command span is around it
      return tracing.inSpan('order create', { attributes: { 'warehouse.sku': sku, 'warehouse.qty': qty } }, async (span) => {
        const now = clock.now();
        const applied = await store.createOrder(sku, qty, now, () => planCreateOrder(sku, qty, now), idempotent);
        span.setAttributes({ 'warehouse.order.id': applied.order.id });
        publishApplied(bus, applied);
        return applied.order;
      });
    },
    async get(id) {
      const order = await store.getOrder(id);
      if (!order) throw new NotFoundError('order', id, 'see `warehouse order list` for the ids');
      return { ...order, events: await store.getTimeline(id) };
    },
    list: (query = {}) => store.listOrders(query),
  };
}
