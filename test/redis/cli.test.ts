/**
 * The command line with `--queue`: refusals in one line (virtual time, a URL that is not Redis, a
 * Redis that does not answer), and `jobs list|failed|retry` and `warehouse check` working the same
 * with Redis in the picture: the dead letters live in the database.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli, tempDb } from '../helpers.js';
import { freePort, redisOrSkip, testQueueUrl } from './support.js';

const haveRedis = await redisOrSkip('the --queue command-line tests');

describe('--queue on the command line', () => {
  it('refuses --clock virtual with a queue, in one line (exit 2), from the flag or from REDIS_URL', async () => {
    const flag = await runCli(['--db', tempDb(), 'work', '--clock', 'virtual', '--queue', 'redis://127.0.0.1:6379']);
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: --clock virtual cannot run jobs from --queue \(or REDIS_URL\): BullMQ times its delays on the wall clock/),
    ]);
    const env = await runCli(['--db', tempDb(), 'work', '--clock', 'virtual', '--until-idle'], { env: { REDIS_URL: 'redis://127.0.0.1:6379' } });
    expect([env.code, env.stderr]).toEqual([2, flag.stderr]);
  });

  it('refuses a queue URL that is not Redis, or a bad prefix, before opening anything (exit 2)', async () => {
    const db = tempDb();
    const scheme = await runCli(['--db', db, 'serve', '--port', '0', '--queue', 'amqp://127.0.0.1']);
    expect([scheme.code, scheme.stderr.trim()]).toEqual([
      2,
      'error: --queue "amqp://127.0.0.1": only redis:// (or rediss://) URLs are supported, such as redis://127.0.0.1:6379',
    ]);
    const prefix = await runCli(['--db', db, 'work', '--queue', 'redis://127.0.0.1:6379?prefix=a:b']);
    expect([prefix.code, prefix.stderr]).toEqual([2, expect.stringMatching(/^error: prefix in the queue URL must be/)]);
    expect(existsSync(db)).toBe(false);
  });

  it('says which Redis does not answer, in one line (exit 1)', async () => {
    const port = await freePort();
    const r = await runCli(['--db', tempDb(), 'work', '--until-idle', '--queue', `redis://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `error: Redis at redis://127.0.0.1:${port} (prefix warehouse) does not answer (connect ECONNREFUSED 127.0.0.1:${port}): start it, or check --queue / REDIS_URL`,
    );
  });

  it.runIf(haveRedis)('keeps the dead letters in the database: jobs failed, jobs retry and check work as without Redis', { timeout: 30_000 }, async () => {
    const db = tempDb();
    const queue = testQueueUrl();
    const fast = ['--backoff-base', '10ms', '--backoff-cap', '20ms', '--job-attempts', '2'];
    expect((await runCli(['--db', db, 'order', 'create', '--sku', 'B', '--qty', '1', '--no-wait'])).code).toBe(0);
    const run = await runCli(['--db', db, '--json', 'work', '--until-idle', '--queue', queue, '--supplier-reserve', 'error', ...fast]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ jobsRun: 1, jobsChangedNothing: 0, jobsQueued: 0, jobsParked: 0 });
    const failed = JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'failed'])).stdout) as Array<{ id: string; orderId: number; attempts: number }>;
    expect(failed).toEqual([expect.objectContaining({ orderId: 1, attempts: 2, type: 'ReserveInventory' })]);
    expect((await runCli(['--db', db, 'jobs', 'retry', failed[0]!.id])).code).toBe(0);
    expect(JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'list'])).stdout)).toMatchObject([{ orderId: 1, state: 'queued' }]);
    const again = await runCli(['--db', db, '--json', 'work', '--until-idle', '--queue', queue, ...fast]);
    expect(JSON.parse(again.stdout)).toEqual({ jobsRun: 1, jobsChangedNothing: 1, jobsQueued: 0, jobsParked: 0 });
    expect(JSON.parse((await runCli(['--db', db, '--json', 'jobs', 'failed'])).stdout)).toEqual([]);
    const check = await runCli(['--db', db, 'check']);
    expect([check.code, check.stdout]).toEqual([0, expect.stringMatching(/every invariant holds/)]);
  });
});
