/** Order use cases: create (with its outbox job), read, list, cancel, fulfil. */
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { planCreateLines, planLinesCancel, planLinesFulfil } from '../domain/lines.js';
import type { TimelineEvent } from '../domain/events.js';
import type { Order, OrderStatus } from '../domain/order.js';
import { planCancel, planFulfil } from '../domain/lifecycle.js';
import { planCreateOrder } from '../domain/plans.js';
import { parseOrderInput, parseOrderLines, parseReservationTtl } from '../domain/validation.js';
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
  /** `lines` (docs/design.md §2.6): a multi-line order instead of `sku` and `qty`; a single line is a one-line order */
  create(input: { sku?: unknown; qty?: unknown; lines?: unknown; reservationTtl?: unknown }, idempotent?: IdempotentResponse): Promise<Order>;
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
  async function change(
    id: number,
    name: string,
    planner: Parameters<Store['applyToOrder']>[2],
    linesPlanner: Parameters<Store['applyToLines']>[2],
    idempotent?: IdempotentResponse,
  ): Promise<Order> {
    const order = await store.getOrder(id);
    if (order === null) throw new NotFoundError('order', id, 'see `warehouse order list` for the ids');
    if (order.parentId != null)
      throw new ValidationError(
        'id',
        'an order',
        `order ${id} is line ${order.lineNo} of order ${order.parentId}: ${name.replace('order ', '')} order ${order.parentId} (all its lines or none)`,
      );
    return tracing.inSpan(name, { attributes: { 'warehouse.order.id': id } }, async () => {
      const applied = order.lineCount
        ? await store.applyToLines(id, clock.now(), linesPlanner, undefined, idempotent)
        : await store.applyToOrder(id, clock.now(), planner, undefined, idempotent);
      publishApplied(bus, applied);
      return applied.order;
    });
  }

  return {
    async create(input, idempotent) {
      if (input.lines !== undefined && (input.sku !== undefined || input.qty !== undefined))
        throw new ValidationError('lines', 'lines or sku and qty', 'give either lines or sku and qty, not both');
      const lines = input.lines === undefined ? null : parseOrderLines(input.lines);
      const ttl = input.reservationTtl === undefined ? null : parseReservationTtl(input.reservationTtl);
      if (lines && lines.length > 1) {
        return tracing.inSpan('order create', { attributes: { 'warehouse.lines': lines.length } }, async (span) => {
          const now = clock.now();
          const applied = await store.createOrderLines(lines, now, () => planCreateLines(lines, now, ttl), idempotent);
          span.setAttributes({ 'warehouse.order.id': applied.order.id });
          publishApplied(bus, applied);
          return applied.order;
        });
      }
      const { sku, qty } = lines ? lines[0]! : parseOrderInput(input.sku, input.qty);
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
      if (!order.lineCount) return { ...order, events: await store.getTimeline(id) };
      return { ...order, lines: await store.getLines(id), events: await store.getTimeline(id, { lines: true }) };
    },
    list: (query = {}) => store.listOrders(query),
    cancel: (id, idempotent) =>
      change(
        id,
        'order cancel',
        (s) => planCancel(s, clock.now()),
        (s) => planLinesCancel(s, clock.now()),
        idempotent,
      ),
    fulfil: (id, idempotent) => change(id, 'order fulfil', planFulfil, planLinesFulfil, idempotent),
  };
}
