/**
 * Redis connections for BullMQ (ioredis). Two per process: the producer's (the relay's `add`s
 * and its marker key) fails a command at once while Redis is away, so the relay knows and backs
 * off; the worker's waits (BullMQ's blocking reads need `maxRetriesPerRequest: null`) and is
 * duplicated by BullMQ for its blocking connection. Both reconnect by themselves. Their errors
 * are reported through `onError`, never thrown at the process.
 */
import { Redis } from 'ioredis';
import { describeQueue, type RedisQueueConfig } from '../../config.js';
import { QueueError } from '../../domain/errors.js';

export type Role = 'producer' | 'worker';

/** How long opening may wait for Redis before the command fails (at start only). */
const CONNECT_TIMEOUT_MS = 5_000;

export function createRedis(config: RedisQueueConfig, role: Role, onError: (error: Error) => void, onReady: () => void = () => {}): Redis {
  // not lazyConnect: BullMQ duplicates the worker's connection for its blocking reads, and a lazy
  // duplicate whose first connect fails never fetches again (seen with bullmq 6.7, ioredis 6.0)
  const client = new Redis(config.url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    // reconnect after 50 ms, growing to 1 s: a restarted Redis is found again quickly
    retryStrategy: (times) => Math.min(50 * times, 1_000),
  });
  client.on('error', onError);
  client.on('ready', onReady);
  return client;
}

/** Connect, or fail with one line naming the server and what to check. */
/** Wait until the client is connected, or fail with one line naming the server and what to check. */
export async function connectRedis(client: Redis, config: RedisQueueConfig): Promise<void> {
  if (client.status === 'ready') return;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      const ready = () => done();
      const failed = (error: Error) => done(error);
      client.once('ready', ready);
      client.once('error', failed);
      function done(error?: Error) {
        clearTimeout(timer);
        client.off('ready', ready);
        client.off('error', failed);
        if (error) reject(error);
        else resolve();
      }
    });
  } catch (error) {
    client.disconnect();
    throw new QueueError(
      `Redis at ${describeQueue(config)} does not answer (${error instanceof Error ? error.message : String(error)}): start it, or check --queue / REDIS_URL`,
      {
        cause: error,
      },
    );
  }
}

/** A Redis error as one short line, for the runner's status and logs. */
export const redisTrouble = (error: unknown) => `queue: redis: ${error instanceof Error ? error.message : String(error)}`;
