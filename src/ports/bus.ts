/**
 * The engine's event bus, as every floor sees it: events named noun:verb and typed. The bus itself
 * (app/bus.ts) runs listeners synchronously after the change they describe has committed; a
 * throwing listener is reported (`listener:error`), never allowed to break the runner or the
 * request that emitted the event.
 */
import type { TimelineEvent } from '../domain/events.js';
import type { Job } from '../domain/jobs.js';
import type { OrderStatus } from '../domain/order.js';
import type { FaultOwner } from '../domain/errors.js';
import type { DriverState } from './driver.js';

export interface BusEvents {
  /** one entry appended to an order's timeline */
  'order:event': TimelineEvent;
  'order:transition': { orderId: number; from: OrderStatus; to: OrderStatus; at: number; jobId?: string; attempt?: number };
  'job:enqueued': { jobIds: string[] };
  'job:start': { job: Job; at: number };
  'job:complete': { job: Job; outcome: string; durationMs: number };
  /** the run failed and the job runs again at `retryAt`; `counted`: it spent an attempt (the supplier's trouble) */
  'job:retry': { job: Job; error: string; owner: FaultOwner; counted: boolean; retryAt: number; durationMs: number };
  'job:dead': { job: Job; error: string; durationMs: number };
  /** the job cannot proceed and waits for an operator (or for the database to recover) */
  'job:parked': { job: Job; reason: string };
  /** the job's lease passed to another runner before it committed; its work was discarded */
  'job:lost': { job: Job };
  /** the run's end could not be committed (the database's trouble): the job waits for its lease to expire */
  'job:unsettled': { job: Job; error: string; owner: FaultOwner };
  /** the runner changed state (ports/driver.ts); `reason` says why when it is degraded */
  'runner:state': { state: DriverState; reason: string | null; at: number };
  /**
   * A health probe found the database answering and taking writes: a runner backing off for the
   * database's trouble looks again now instead of at the end of its backoff (up to 30 s)
   */
  'database:answered': { at: number };
  'listener:error': { event: string; error: unknown };
}

export type BusListener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void;

export interface Bus {
  on<K extends keyof BusEvents>(type: K, listener: BusListener<K>): () => void;
  emit<K extends keyof BusEvents>(type: K, payload: BusEvents[K]): void;
}
