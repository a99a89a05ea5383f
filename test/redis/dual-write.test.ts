/**
 * The dual-write proof (issue 14): a queue on Redis cannot join the order's transaction, so a
 * process can die after the order (and its job, the outbox row) committed and before the job
 * reached Redis. Here it does, at an injected crash point (crash-point.mjs, test build only):
 * a `serve` with `--queue` is killed with SIGKILL by its own relay, and a `work` started after it
 * runs the job anyway — once, as the supplier service's record of its calls shows.
 *
 * - before-add: the committed ReserveInventory row was never handed to Redis: the worker's relay
 *   finds it in the outbox and hands it over.
 * - after-add: the CheckSupplierStatus job (due 4 s later) is in Redis, its row never marked
 *   relayed: the worker's relay hands the same generation over again once the dead relay's hold
 *   ends; BullMQ drops the duplicate id, and the check runs once, when due.
 *
 * On SQLite, and on PostgreSQL when a server answers.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { invariantsOf, rawSql, tempDb, tempDir, tempPgUrl } from '../helpers.js';
import { pgUnavailable } from '../postgres/support.js';
import { spawnCli } from '../supplier/support.js';
import { REDIS_TEST_URL, redisOrSkip, testQueueUrl } from './support.js';

const CRASH = join(import.meta.dirname, 'crash-point.mjs');
const haveRedis = await redisOrSkip('the dual-write tests');
const havePg = !(await pgUnavailable());
const ENGINE = ['--lease', '1s', '--backoff-base', '50ms', '--backoff-cap', '200ms'];
/** before-add: the check is soon; after-add: it is due after the worker's relay has handed it over again */
const SOON = ['--check-delay', '200ms'];
const LATER = ['--check-delay', '4s'];

const databases = [{ name: 'SQLite', db: () => tempDb() }, ...(havePg ? [{ name: 'PostgreSQL', db: () => tempPgUrl() }] : [])];

interface Conversation {
  key: string;
  calls: Array<{ kind: string; answer: string; replay: boolean }>;
}

async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (performance.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The BullMQ job ids under a prefix (`<outbox id>.<generation>`). */
async function bullJobIds(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_TEST_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    return keys
      .map((k) => k.split(':').at(-1)!)
      .filter((id) => /^\d+\.\d+$/.test(id))
      .sort();
  } finally {
    redis.disconnect();
  }
}

async function setUp(db: string) {
  const dir = tempDir();
  const supplier = spawnCli(['supplier', 'serve', '--port', '0', '--state', join(dir, 'supplier.db')]);
  const [, supplierUrl] = await supplier.waitFor(/supplier listening on (http:\/\/\S+) /);
  const queue = testQueueUrl();
  const prefix = new URL(queue).searchParams.get('prefix')!;
  const engine = ['--database', db, '--supplier-url', supplierUrl!];
  const conversations = async () => (await (await fetch(`${supplierUrl}/mock/conversations`)).json()) as Conversation[];
  return { supplier, queue, prefix, engine, conversations };
}

describe.runIf(haveRedis)('a process killed between the order commit and the relay', () => {
  for (const { name, db: freshDb } of databases) {
    it(`${name}: before the hand-off to Redis, the committed job still runs, once`, { timeout: 60_000 }, async () => {
      const db = freshDb();
      const { supplier, queue, prefix, engine, conversations } = await setUp(db);
      const serve = spawnCli([...engine, 'serve', '--port', '0', '--queue', queue, ...ENGINE, ...SOON], {
        NODE_OPTIONS: `--import ${CRASH}`,
        WAREHOUSE_TEST_CRASH: 'before-add:ReserveInventory',
      });
      const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
      // the answer may or may not get out before the relay kills the process; the commit did
      await fetch(`${api}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":2}' }).catch(() => null);
      expect((await serve.exited).signal).toBe('SIGKILL');
      const [row] = await rawSql(db, `SELECT o.id AS order_id, o.status, j.type, j.relayed_at FROM orders o JOIN jobs j ON j.order_id = o.id`);
      expect(row).toMatchObject({ status: 'pending', type: 'ReserveInventory', relayed_at: null });
      expect(await bullJobIds(prefix)).toEqual([]);

      const work = spawnCli([...engine, 'work', '--queue', queue, ...ENGINE, ...SOON]);
      const orderId = Number(row!.order_id);
      await until(
        'the order final',
        async () => (await rawSql(db, `SELECT status FROM orders WHERE id = ?`, [orderId]))[0]!.status,
        (s) => s === 'reserved',
      );
      const convs = await conversations();
      expect(convs.map((c) => [c.key, c.calls.map((x) => `${x.kind}:${x.answer}${x.replay ? ':replay' : ''}`)])).toEqual([
        [expect.stringMatching(new RegExp(`^order-${orderId}\\.[0-9a-f]{16}$`)), ['reserve:accepted', 'status:ok']],
      ]);
      const events = (await rawSql(db, `SELECT type FROM order_events WHERE order_id = ? ORDER BY id`, [orderId])).map((e) => e.type);
      expect(events.filter((t) => t === 'SupplierReservationRequested')).toHaveLength(1);
      work.child.kill('SIGTERM');
      expect((await work.exited).code).toBe(0);
      supplier.child.kill('SIGTERM');
      expect(await invariantsOf(db)).toEqual([]);
    });

    it(`${name}: after the hand-off, before the mark, the same job id is handed over again and BullMQ drops it: the check runs once`, {
      timeout: 60_000,
    }, async () => {
      const db = freshDb();
      const { supplier, queue, prefix, engine, conversations } = await setUp(db);
      const serve = spawnCli([...engine, 'serve', '--port', '0', '--queue', queue, ...ENGINE, ...LATER], {
        NODE_OPTIONS: `--import ${CRASH}`,
        WAREHOUSE_TEST_CRASH: 'after-add:CheckSupplierStatus',
      });
      const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
      const res = await fetch(`${api}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":2}' });
      const orderId = ((await res.json()) as { id: number }).id;
      expect((await serve.exited).signal).toBe('SIGKILL');
      const [check] = await rawSql(db, `SELECT id, type, relayed_at, relay_seq FROM jobs WHERE order_id = ?`, [orderId]);
      expect(check).toMatchObject({ type: 'CheckSupplierStatus', relayed_at: null, relay_seq: 0 });
      expect(await bullJobIds(prefix)).toContain(`${check!.id}.0`);

      const work = spawnCli([...engine, 'work', '--queue', queue, ...ENGINE, ...LATER]);
      // the worker's relay hands generation 0 over again and marks it; BullMQ still holds one job for it
      await until(
        'the row marked relayed',
        async () => (await rawSql(db, `SELECT relayed_at, relay_seq FROM jobs WHERE id = ?`, [check!.id]))[0],
        (r) => r?.relayed_at != null,
      );
      expect((await bullJobIds(prefix)).filter((id) => id.startsWith(`${check!.id}.`))).toEqual([`${check!.id}.0`]);
      await until(
        'the order final',
        async () => (await rawSql(db, `SELECT status FROM orders WHERE id = ?`, [orderId]))[0]!.status,
        (s) => s === 'reserved',
      );
      const convs = await conversations();
      expect(convs.map((c) => [c.key, c.calls.map((x) => `${x.kind}:${x.answer}`)])).toEqual([
        [expect.stringMatching(new RegExp(`^order-${orderId}\\.[0-9a-f]{16}$`)), ['reserve:accepted', 'status:ok']],
      ]);
      work.child.kill('SIGTERM');
      expect((await work.exited).code).toBe(0);
      supplier.child.kill('SIGTERM');
      expect(await invariantsOf(db)).toEqual([]);
    });
  }
});
