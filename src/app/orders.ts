/** Order use cases: create (with its outbox job), read, list, cancel, fulfil. */
import { NotFoundError } from '../domain/errors.js';
import type { TimelineEvent } from '../domain/events.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { planCancel, planFulfil } from '../domain/lifecycle.js';
import { planCreateOrder } from '../domain/plans.js';
import { parseOrderInput, parseReservationTtl } from '../domain/validation.js';
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
  /** `reservationTtl`: the order's own time to live once reserved (a duration such as `10m`), else the runner's */
  create(input: { sku: unknown; qty: unknown; reservationTtl?: unknown }, idempotent?: IdempotentResponse): Promise<Order>;
  /**
   * Cancel (docs/design.md §2.5): `cancelled` at once (a reservation released in the same
   * transaction), or `cancelling` while the supplier's reservation is being cancelled. A final order
   * refuses (OrderStateError); NotFoundError for an unknown id.
   */
  cancel(id: number, idempotent?: IdempotentResponse): Promise<Order>;
  /** Fulfil a reserved order: `fulfilled`, final. Any other state refuses (OrderStateError). */
  fulfil(id: number, idempotent?: IdempotentResponse): Promise<Order>;
  get(id: number): Promise<OrderWithTimeline>;
  list(query?: { status?: OrderStatus; limit?: number; cursor?: number; order?: 'oldest' | 'newest' }): Promise<OrderPage>;
}

export function createOrderService({ store, clock, bus, tracing = NO_TRACING }: { store: Store; clock: Clock; bus: Bus; tracing?: Tracing }): OrderService {
  async function change(id: number, name: string, planner: Parameters<Store['applyToOrder']>[2], idempotent?: IdempotentResponse): Promise<Order> {
    if ((await store.getOrder(id)) === null) throw new NotFoundError('order', id, 'see `warehouse order list` for the ids');
    return tracing.inSpan(name, { attributes: { 'warehouse.order.id': id } }, async () => {
      const applied = await store.applyToOrder(id, clock.now(), planner, undefined, idempotent);
      publishApplied(bus, applied);
      return applied.order;
    });
  }

  return {
    async create(input, idempotent) {
      const { sku, qty } = parseOrderInput(input.sku, input.qty);
      const ttl = input.reservationTtl === undefined ? null : parseReservationTtl(input.reservationTtl);
      // the order's trace starts here when no request or command span is around it
      return tracing.inSpan('order create', { attributes: { 'warehouse.sku': sku, 'warehouse.qty': qty } }, async (span) => {
        const now = clock.now();
        const applied = await store.createOrder(sku, qty, now, () => planCreateOrder(sku, qty, now, ttl), idempotent);
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
    cancel: (id, idempotent) => change(id, 'order cancel', (s) => planCancel(s, clock.now()), idempotent),
    fulfil: (id, idempotent) => change(id, 'order fulfil', planFulfil, idempotent),
  };
}
