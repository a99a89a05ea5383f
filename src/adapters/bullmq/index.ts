/**
 * `openBullmq`: jobs delivered by BullMQ on Redis (docs/design.md §12, docs/architecture.md "Jobs on
 * Redis"): the outbox relay (relay.ts) and the BullMQ driver (worker.ts), over one producer and one
 * worker connection (redis.ts). The only module of the engine that imports bullmq and ioredis;
 * src/wiring/warehouse.ts loads it only with `--queue`.
 *
 * Names: the keys of every engine live under the URL's prefix (`warehouse` unless `?prefix=`);
 * the queue is named after the database's own id (JobQueue.instanceId), so engines on different
 * databases never share a queue, whatever prefix they use.
 */
import { Queue } from 'bullmq';
import { describeQueue, type RedisQueueConfig } from '../../config.js';
import type { Settings } from '../../domain/settings.js';
import type { Clock } from '../../ports/clock.js';
import type { Driver, DriverEvents, JobExecutor } from '../../ports/driver.js';
import type { JobQueue } from '../../ports/queue.js';
import { connectRedis, createRedis, redisTrouble } from './redis.js';
import { createRelay, type Relay } from './relay.js';
import { createBullDriver } from './worker.js';

/** At least twice the lease, and a minute: a backlog in Redis is not a loss. */
export const redeliverAfter = (config: RedisQueueConfig, leaseMs: number) => config.redeliverAfterMs ?? Math.max(60_000, 2 * leaseMs);

export interface BullmqDeps {
  config: RedisQueueConfig;
  jobs: JobQueue;
  clock: Clock;
  /** the engine's events the relay and the driver hear and tell (src/wiring: the bus) */
  events: DriverEvents;
  settings: Settings;
  random: () => number;
  pollMs?: number;
}

export interface Bullmq {
  /** `bull:<prefix>:<queue>` on the URL, for messages */
  readonly label: string;
  readonly queueName: string;
  readonly relay: Relay;
  /** builds the driver the runner takes (app/runner.ts) */
  driver(parts: { executor: JobExecutor; workerId: string }): Driver;
  close(): Promise<void>;
}

export async function openBullmq(deps: BullmqDeps): Promise<Bullmq> {
  const { config, jobs, clock, events, settings, random } = deps;
  const queueName = `jobs.${(await jobs.instanceId()).slice(0, 12)}`;
  const redeliverAfterMs = redeliverAfter(config, settings.leaseMs);
  let driver: ReturnType<typeof createBullDriver> | null = null;
  const producerRedis = createRedis(config, 'producer', () => {});
  const workerRedis = createRedis(
    config,
    'worker',
    (error) => driver?.setRedisTrouble(redisTrouble(error)),
    () => driver?.setRedisTrouble(null),
  );
  try {
    await connectRedis(producerRedis, config);
    await connectRedis(workerRedis, config);
  } catch (error) {
    producerRedis.disconnect();
    workerRedis.disconnect();
    throw error;
  }
  const producer = new Queue(queueName, { connection: producerRedis, prefix: config.prefix });
  producer.on('error', () => {}); // the relay sees its own failures
  const relay = createRelay({
    jobs,
    producer,
    redis: producerRedis,
    markerKey: `${config.prefix}:${queueName}:relay-marker`,
    clock,
    events,
    random,
    holdMs: settings.leaseMs,
    redeliverAfterMs,
    pollMs: deps.pollMs,
  });
  return {
    label: `${describeQueue(config)}, queue ${queueName}`,
    queueName,
    relay,
    driver({ executor, workerId }) {
      driver = createBullDriver({
        queueName,
        prefix: config.prefix,
        connection: workerRedis,
        jobs,
        executor,
        relay,
        clock,
        events,
        random,
        workerId,
        concurrency: settings.concurrency,
        leaseMs: settings.leaseMs,
        redeliverAfterMs,
        pollMs: deps.pollMs,
      });
      return driver;
    },
    async close() {
      await relay.stop();
      await producer.close().catch(() => {});
      producerRedis.disconnect();
      workerRedis.disconnect();
    },
  };
}
