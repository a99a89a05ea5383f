/**
 * Engine options shared by the commands that run jobs (order create, work, serve); parsed by
 * flags.ts when the command runs. This file imports only commander, so `--help` stays cheap.
 */
import type { Command } from 'commander';

/** Declares the settings and mock-script options on a command. */
export function engineOptions(cmd: Command): Command {
  return cmd
    .option('--supplier-status <list>', 'mock script: status answers, e.g. delayed,delayed,ok')
    .option('--supplier-reserve <list>', 'mock script: reserve answers, e.g. error,accepted')
    .option('--check-delay <duration>', 'delay before each supplier check (default 15s)')
    .option('--max-delayed-retries <n>', 'checks a `delayed` answer may add (default 2)')
    .option('--job-attempts <n>', 'attempts per job before it is dead-lettered (default 5)')
    .option('--backoff-base <duration>', 'first retry delay after a transient error (default 1s)')
    .option('--backoff-cap <duration>', 'longest retry delay (default 60s)')
    .option('--lease <duration>', "how long a claimed job stays this runner's before another may take it (default 30s)")
    .option('--concurrency <n>', 'jobs run at once (default 32)')
    .option(
      '--reserve-strategy <strategy>',
      'how a reservation takes stock: pessimistic (row lock, default), optimistic (version check), atomic (conditional update)',
    )
    .option('--reservation-ttl <duration>', 'how long a reservation holds its units before it expires and they are released (default: never)')
    .option('--seed <n>', 'seed for the backoff jitter');
}

/** `--queue` on serve, work and up. */
export const QUEUE_HELP =
  'run jobs from BullMQ on this Redis (redis://host:6379[?prefix=name]); the database stays the outbox, a relay in each process hands jobs over (env REDIS_URL; default: the in-database queue)';
