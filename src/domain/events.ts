/**
 * Timeline events: every state change and job outcome of an order is recorded as one of these,
 * in the same transaction as the change (docs/design.md §3 lists them with their data).
 */
export const EventType = {
  OrderCreated: 'OrderCreated',
  InventoryReserved: 'InventoryReserved',
  SupplierReservationRequested: 'SupplierReservationRequested',
  SupplierReservationAccepted: 'SupplierReservationAccepted',
  SupplierReservationRejected: 'SupplierReservationRejected',
  SupplierStatusChecked: 'SupplierStatusChecked',
  OrderReserved: 'OrderReserved',
  OrderFailed: 'OrderFailed',
  /** someone asked to cancel an order the supplier was asked for: compensation follows (`cancelling`) */
  CancelRequested: 'CancelRequested',
  /** a reservation's units went back to on-hand (a `release` movement): `reason` cancelled or expired */
  ReservationReleased: 'ReservationReleased',
  OrderCancelled: 'OrderCancelled',
  OrderExpired: 'OrderExpired',
  OrderFulfilled: 'OrderFulfilled',
  /** the supplier confirmed the cancellation of its reservation (the compensation) */
  SupplierReservationCancelled: 'SupplierReservationCancelled',
  /** a cancel call failed transiently; the compensation runs again at `retryAt`, an attempt spent */
  SupplierReservationCancelFailed: 'SupplierReservationCancelFailed',
  /** the supplier delivered for a cancelled order (too late to cancel): the goods are booked to stock as a restock */
  SupplierDeliveryRestocked: 'SupplierDeliveryRestocked',
  /** a transient supplier error; the job will run again at `retryAt` */
  SupplierCallFailed: 'SupplierCallFailed',
  /** a job ran out of attempts and went to the dead-letter store */
  JobDeadLettered: 'JobDeadLettered',
  /** a dead job was put back on the queue by `jobs retry` */
  JobRetried: 'JobRetried',
  /** the database's trouble stopped a job; it runs again at `retryAt` without spending an attempt */
  JobDeferred: 'JobDeferred',
  /** a job that cannot proceed was parked for an operator, with its `reason` */
  JobParked: 'JobParked',
  /** a parked job was put back on the queue */
  JobResumed: 'JobResumed',
  /**
   * the optimistic reservation strategy found the SKU's inventory row changed under it
   * (`conflicts` times) before the change it commits with this event; recorded by the adapter
   */
  InventoryConflict: 'InventoryConflict',
  /** a line of a multi-line order found too little stock: it asks the supplier with its own job (docs/design.md §2.6) */
  LineShort: 'LineShort',
  /** another line of the order failed: this line is undone as a cancel would (compensation, §2.6) */
  LineCompensated: 'LineCompensated',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export type EventData = Record<string, unknown>;

/** One entry of an order's timeline. `at` is epoch ms from the Clock port. */
export interface TimelineEvent {
  orderId: number;
  at: number;
  type: EventType;
  data: EventData;
}

/** An event before it has an order id (the order is inserted in the same transaction). */
export type PlannedEvent = Omit<TimelineEvent, 'orderId' | 'at'>;
