/** Operator use cases on the queue: what is queued, what died, re-driving dead and parked jobs. */
import type { Job } from '../domain/jobs.js';
import type { Clock } from '../ports/clock.js';
import type { DeadLetter, JobCounts, JobInfo, JobQueue } from '../ports/queue.js';
import type { Store, Violation } from '../ports/store.js';
import { publishResumed, type Bus } from './bus.js';

export interface JobsService {
  list(): Promise<JobInfo[]>;
  counts(): Promise<JobCounts>;
  /** dead letters not yet retried (all of them with `includeRetried`) */
  failed(opts?: { includeRetried?: boolean }): Promise<DeadLetter[]>;
  /** Put a dead letter back on the queue as a new job; `all`: every one not yet retried. */
  retry(id: string): Promise<Job>;
  retryAll(): Promise<Job[]>;
  /** Put parked jobs back on the queue (one, or all). */
  resume(jobId?: string): Promise<Job[]>;
  /** The invariants (docs/design.md §6) on the stored data. */
  audit(): Promise<Violation[]>;
}

export function createJobsService({ queue, store, clock, bus }: { queue: JobQueue; store: Store; clock: Clock; bus: Bus }): JobsService {
  async function retry(id: string): Promise<Job> {
    const { job, event } = await queue.retryDeadLetter(id, clock.now());
    bus.emit('order:event', event);
    bus.emit('job:enqueued', { jobIds: [job.id] });
    return job;
  }
  return {
    list: () => queue.list(),
    counts: () => queue.count(),
    failed: (opts) => queue.listDeadLetters(opts),
    retry,
    async retryAll() {
      const jobs: Job[] = [];
      for (const d of await queue.listDeadLetters()) jobs.push(await retry(d.id));
      return jobs;
    },
    async resume(jobId) {
      const resumed = await queue.resumeParked(clock.now(), jobId === undefined ? {} : { jobId });
      publishResumed(bus, resumed);
      return resumed.map((r) => r.job);
    },
    audit: () => store.audit(),
  };
}
