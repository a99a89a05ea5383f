/**
 * Policies: "when this event is recorded, enqueue that job". They run inside the transaction that
 * records the event, so the job is stored atomically with it (the transactional outbox): a crash
 * can never leave an order without the job that moves it on.
 */
import type { PlannedEvent } from '../domain/events.js';
import { JobType, type PlannedJob } from '../domain/jobs.js';
import type { Plan } from '../domain/plans.js';

type Policy = (event: PlannedEvent, now: number) => PlannedJob[];

const POLICIES: Partial<Record<PlannedEvent['type'], Policy>> = {
  OrderCreated: (_event, now) => [{ type: JobType.ReserveInventory, runAt: now, payload: {} }],
};

export function withPolicies(plan: Plan, now: number): Plan {
  const jobs = plan.events.flatMap((event) => POLICIES[event.type]?.(event, now) ?? []);
  return jobs.length ? { ...plan, jobs: [...plan.jobs, ...jobs] } : plan;
}
