/**
 * Scale-out end to end (`npm run bench:scale`, a part of `npm run bench`): orders/s from HTTP
 * accepted to final, on PostgreSQL, with 1, 2 and 4 `warehouse work` processes, for each queue —
 * the in-database queue and BullMQ on Redis. Skipped, with the reason printed, when PostgreSQL or
 * Redis does not answer.
 *
 * Run: npx tsx bench/scale.ts [--quick] [--json] [--orders N] [--workers 1,2,4] [--queues database,redis] [--inflight 64]
 *      (DATABASE_URL and REDIS_URL: the servers; default local)
 * --quick: 300 orders, 1 worker. --durability (passed on by `npm run bench`) is accepted
 * and ignored: PostgreSQL commits with its own synchronous_commit (on).
 *
 * Set-up, per queue and worker count, on a fresh schema (and a fresh key prefix): one `warehouse
 * serve --no-runner` (the API; with Redis it still relays what it enqueues) and N `warehouse work`,
 * real processes, default settings (concurrency 32 each since issue 24, 8 before; a pool of 10 connections each). Eight SKUs
 * with stock for every order, so each order is one ReserveInventory job: the engine's own path,
 * no supplier waits.
 *
 * Load: a closed loop keeps `--inflight` orders (64) posted but not yet final; the bench sees an
 * order final by polling the database every 10 ms for the ids it waits on. The first 10 % of the
 * orders warm up and are not counted.
 *
 * Figures: orders/s over the measured window; latency p50/p99 from the order's `created_at` to its
 * `updated_at` when it settled (both written by the engine from the same machine's clock); with
 * Redis, the relay lag (outbox row created → handed to BullMQ, from BullMQ's own timestamp) and the
 * queue wait (handed over → started by a worker) of first deliveries, p50/p99; CPU seconds per
 * order of the engine processes, of PostgreSQL and of redis-server (their whole servers: other
 * users of this machine count too).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { poolConfig } from '../src/adapters/postgres/connection.js';
import { startServe, startWork, type Proc } from '../test/redis/cluster.js';

const PG_URL =
  process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL && /^rediss?:\/\//.test(process.env.REDIS_URL) ? process.env.REDIS_URL : 'redis://127.0.0.1:6379';
const SKUS = Array.from({ length: 8 }, (_, i) => `S${i + 1}`);
const TICK = 100; // clock ticks per second in /proc/<pid>/stat (Linux)

type QueueKind = 'database' | 'redis';

export interface Row {
  queue: QueueKind;
  workers: number;
  orders: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  relayLagP50Ms: number | null;
  relayLagP99Ms: number | null;
  queueWaitP50Ms: number | null;
  queueWaitP99Ms: number | null;
  /** CPU seconds per 1,000 orders */
  engineCpu: number;
  postgresCpu: number;
  redisCpu: number;
  /** the bench's own CPU (HTTP clients, polling), seconds per 1,000 orders */
  benchCpu: number;
  /** all of that over the window's wall time and this machine's cores (1.0: every core busy) */
  busy: number;
  /** the whole machine's CPU use over the window (from /proc/stat: everything else running too) */
  machineBusy: number;
}

/** Busy and total jiffies of the whole machine (/proc/stat's first line). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** CPU seconds used so far by these pids (those still alive). */
function cpuOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / TICK;
}

function pidsNamed(name: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim().startsWith(name)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

export async function unavailable(): Promise<string | null> {
  const client = new pg.Client({ ...poolConfig({ url: PG_URL }), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    return `no PostgreSQL answers at ${PG_URL} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `no Redis answers at ${REDIS_URL} (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

let runs = 0;

async function runOne(queue: QueueKind, workers: number, orders: number, inflight: number): Promise<Row> {
  const schema = `bench_scale_${process.pid}_${++runs}`;
  const prefix = `bench-scale-${process.pid}-${runs}`;
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  const admin = new pg.Client(poolConfig({ url: PG_URL, schema }));
  await admin.connect();
  const procs: Proc[] = [];
  try {
    const engine = ['--database', url.toString()];
    const flags = queue === 'redis' ? ['--queue', `${REDIS_URL}${REDIS_URL.includes('?') ? '&' : '?'}prefix=${prefix}`] : [];
    const serve = await startServe(engine, ['--no-runner', ...flags]);
    procs.push(serve);
    for (const sku of SKUS)
      await fetch(`${serve.url}/api/inventory/${sku}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ onHand: 1_000_000 }),
      });
    procs.push(...(await Promise.all(Array.from({ length: workers }, () => startWork(engine, flags)))));

    const warm = Math.floor(orders * 0.1);
    const waiting = new Set<number>();
    const done: Array<{ id: number; latency: number }> = [];
    let posted = 0;
    let windowStart = 0;
    const mark = () => {
      const own = process.cpuUsage();
      return {
        engine: cpuOf(procs.map((p) => p.child.pid!)),
        postgres: cpuOf(pidsNamed('postgres')),
        redis: cpuOf(pidsNamed('redis-server')),
        bench: (own.user + own.system) / 1e6,
        machine: machineTicks(),
      };
    };
    let cpu0 = mark();
    const waiters: Array<() => void> = [];
    const release = () => {
      for (const w of waiters.splice(0)) w();
    };
    const poll = async () => {
      while (done.length < orders) {
        if (waiting.size > 0) {
          const r = await admin.query<{ id: number; created_at: string; updated_at: string }>(
            `SELECT id, created_at::text, updated_at::text FROM orders WHERE id = ANY($1::int[]) AND status IN ('reserved', 'failed')`,
            [[...waiting]],
          );
          for (const row of r.rows) {
            waiting.delete(row.id);
            done.push({ id: row.id, latency: Number(row.updated_at) - Number(row.created_at) });
            if (done.length === warm) {
              windowStart = performance.now();
              cpu0 = mark();
            }
          }
          if (r.rows.length > 0) release();
        }
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const polling = poll();
    const client = async () => {
      while (posted < orders) {
        while (posted - done.length >= inflight) await new Promise<void>((res) => waiters.push(res));
        posted++;
        const res = await fetch(`${serve.url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sku: SKUS[posted % SKUS.length], qty: 1 }),
        });
        if (res.status !== 201) throw new Error(`POST /api/orders: HTTP ${res.status} ${await res.text()}`);
        waiting.add(((await res.json()) as { id: number }).id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, inflight) }, client));
    await polling;
    const wallS = (performance.now() - windowStart) / 1000;
    const cpu1 = mark();
    const measured = done.slice(warm);
    const latencies = measured.map((d) => d.latency);

    let relay: number[] = [];
    let wait: number[] = [];
    if (queue === 'redis') {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      const names = new Set((await redis.keys(`${prefix}:*:meta`)).map((k) => k.split(':')[1]!));
      for (const name of names) {
        const q = new Queue(name, { connection: redis, prefix });
        const jobs = await q.getJobs(['completed'], 0, -1);
        const first = jobs.filter((j) => (j.data as { generation: number }).generation === 0);
        relay = first.map((j) => j.timestamp - (j.data as { createdAt: number }).createdAt);
        wait = first.filter((j) => j.processedOn).map((j) => j.processedOn! - j.timestamp);
        await q.close();
      }
      redis.disconnect();
    }
    const n = measured.length;
    const per1k = (s: number) => +((s / n) * 1000).toFixed(2);
    const engineCpu = cpu1.engine - cpu0.engine;
    const postgresCpu = cpu1.postgres - cpu0.postgres;
    const redisCpu = cpu1.redis - cpu0.redis;
    return {
      queue,
      workers,
      orders: n,
      perSec: Math.round(n / wallS),
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      relayLagP50Ms: relay.length ? pct(relay, 50) : null,
      relayLagP99Ms: relay.length ? pct(relay, 99) : null,
      queueWaitP50Ms: wait.length ? pct(wait, 50) : null,
      queueWaitP99Ms: wait.length ? pct(wait, 99) : null,
      engineCpu: per1k(engineCpu),
      postgresCpu: per1k(postgresCpu),
      redisCpu: per1k(redisCpu),
      benchCpu: per1k(cpu1.bench - cpu0.bench),
      busy: +((engineCpu + postgresCpu + redisCpu) / wallS / cpus().length).toFixed(2),
      machineBusy: +((cpu1.machine.busy - cpu0.machine.busy) / (cpu1.machine.total - cpu0.machine.total)).toFixed(2),
    };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await admin.query('SET client_min_messages = warning');
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    if (queue === 'redis') {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  }
}

const fmt = (x: number | null, d = 0) => (x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      orders: { type: 'string' },
      workers: { type: 'string' },
      queues: { type: 'string' },
      inflight: { type: 'string', default: '64' },
      durability: { type: 'string' },
    },
  });
  const why = await unavailable();
  if (why) {
    console.log(`scale: skipped: ${why}`);
    if (values.json) console.log(JSON.stringify({ scale: { skipped: why } }));
    return;
  }
  const orders = Number(values.orders ?? (values.quick ? 300 : 3_000));
  const levels = (values.workers ?? (values.quick ? '1' : '1,2,4')).split(',').map(Number);
  const queues = (values.queues ?? 'database,redis').split(',') as QueueKind[];
  const inflight = Number(values.inflight);
  const started = performance.now();
  console.log(
    `scale: ${orders} orders per run (10 % warm-up), ${inflight} in flight, serve --no-runner + N work, on ${new URL(PG_URL).host} and ${new URL(REDIS_URL).host}, ${cpus().length} cores`,
  );
  const head = [
    'queue',
    'workers',
    'orders/s',
    'p50 ms',
    'p99 ms',
    'relay p50/p99',
    'wait p50/p99',
    'cpu s/1k: engine',
    'pg',
    'redis',
    'bench',
    'busy',
    'machine',
  ];
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(8) : c.padStart(i === 5 || i === 6 ? 14 : 9))).join(' ');
  console.log(line(head));
  const rows: Row[] = [];
  for (const queue of queues) {
    for (const workers of levels) {
      const r = await runOne(queue, workers, orders, inflight);
      rows.push(r);
      console.log(
        line([
          r.queue,
          String(r.workers),
          String(r.perSec),
          fmt(r.p50Ms),
          fmt(r.p99Ms),
          r.relayLagP50Ms === null ? '-' : `${fmt(r.relayLagP50Ms)}/${fmt(r.relayLagP99Ms)}`,
          r.queueWaitP50Ms === null ? '-' : `${fmt(r.queueWaitP50Ms)}/${fmt(r.queueWaitP99Ms)}`,
          fmt(r.engineCpu, 1),
          fmt(r.postgresCpu, 1),
          fmt(r.redisCpu, 1),
          fmt(r.benchCpu, 1),
          fmt(r.busy, 2),
          fmt(r.machineBusy, 2),
        ]),
      );
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`(${seconds} s)`);
  if (values.json) {
    const best = (q: QueueKind) => Math.max(0, ...rows.filter((r) => r.queue === q).map((r) => r.perSec));
    console.log(JSON.stringify({ scale: { rows, bestDatabase: best('database'), bestRedis: best('redis'), orders, inflight, seconds: Number(seconds) } }));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
