import type { Job } from '../domain/jobs.js';
import type { Applied } from '../ports/store.js';
import type { Bus } from './bus.js';

/** Tell the bus what a committed plan changed. */
export function publishApplied(bus: Bus, applied: Applied, job?: Job): void {
  for (const event of applied.events) bus.emit('order:event', event);
  if (applied.from !== null) {
    bus.emit('order:transition', {
      orderId: applied.order.id,
      from: applied.from,
      to: applied.order.status,
      at: applied.order.updatedAt,
      ...(job ? { jobId: job.id, attempt: job.attempt } : {}),
    });
  }
  if (applied.jobIds.length > 0) bus.emit('job:enqueued', { jobIds: applied.jobIds });
}
