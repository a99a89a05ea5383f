/** Order use cases: create (with its outbox job), read, list. */
import { NotFoundError } from '../domain/errors.js';
import type { TimelineEvent } from '../domain/events.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { planCreateOrder } from '../domain/plans.js';
import { parseOrderInput } from '../domain/validation.js';
import type { Clock } from '../ports/clock.js';
import type { IdempotentResponse, OrderPage, Store } from '../ports/store.js';
import type { Bus } from './bus.js';
import { withPolicies } from './policies.js';
import { publishApplied } from './publish.js';

export interface OrderWithTimeline extends Order {
  events: TimelineEvent[];
}

export interface OrderService {
  /** Validates, stores the order `pending` with OrderCreated and its ReserveInventory job, atomically. */
  create(input: { sku: unknown; qty: unknown }, idempotent?: IdempotentResponse): Promise<Order>;
  get(id: number): Promise<OrderWithTimeline>;
  list(query?: { status?: OrderStatus; limit?: number; cursor?: number }): Promise<OrderPage>;
}

export function createOrderService({ store, clock, bus }: { store: Store; clock: Clock; bus: Bus }): OrderService {
  return {
    async create(input, idempotent) {
      const { sku, qty } = parseOrderInput(input.sku, input.qty);
      const now = clock.now();
      const applied = await store.createOrder(sku, qty, now, () => withPolicies(planCreateOrder(sku, qty), now), idempotent);
      publishApplied(bus, applied);
      return applied.order;
    },
    async get(id) {
      const order = await store.getOrder(id);
      if (!order) throw new NotFoundError('order', id, 'see `warehouse order list` for the ids');
      return { ...order, events: await store.getTimeline(id) };
    },
    list: (query = {}) => store.listOrders(query),
  };
}
