/**
 * The reservation strategies under contention (`npm run bench:locking`, a part of `npm run bench`):
 * one hot SKU with 100 units, 1,000 orders of 1 unit queued, run at concurrency 1, 4, 16 and 32, for
 * each strategy on PostgreSQL. Skipped, with the reason printed, when no PostgreSQL answers.
 *
 * Run: npx tsx bench/locking.ts [--quick] [--json] [--orders N] [--stock S] [--concurrency 1,4,16,32]
 *      [--strategies pessimistic,optimistic,atomic]      (DATABASE_URL: the server; default local)
 * --quick: 200 orders for 20 units at concurrency 16. --durability (passed on by `npm run
 * bench`) is accepted and ignored: PostgreSQL commits with its own synchronous_commit (on).
 * --rounds N: each row runs baseline and engine N times in turn (on a shared machine one pair
 * moves ±50 %); the row then shows the medians, and its ratio is the median of the N pairs' ratios.
 *
 * Subject. The engine on a fresh schema: `createWarehouse` with `--reserve-strategy`, the runner's
 * concurrency C and a pool of C + 2 connections, real clock, the in-process mock supplier
 * (direct transport) rejecting every reservation. The orders (and their ReserveInventory jobs) are
 * created first, not timed; then `runUntilIdle()` runs the queue dry. 100 orders take the stock; the
 * other 900 find it gone, ask the supplier (one transaction), are rejected and fail (another).
 * Latency is each job's run (executor start → end, the supplier call included), p50/p99.
 *
 * Baseline. The same orders created the same way on another fresh schema, then C workers with a
 * hand-written `pg` client each: claim one job (the same `FOR UPDATE SKIP LOCKED` statement), then
 * the same transactions and statements the adapter sends for the strategy (src/adapters/postgres:
 * stock.ts, outbox.ts), each in a round trip of its own as written by hand (the adapter sends some
 * together: 4 round trips a stock-taking job against the baseline's 8, 7 a supplier-path one against
 * 13; docs/decisions.md), with the supplier's rejection answered in-process (no HTTP, no supplier
 * state). So the ratio is what the engine (the executor and driver, the bus, the HTTP client and
 * the mock with its state) costs over hand-written SQL, less what its fewer round trips save.
 *
 * CPU per order: this process's (the engine or the baseline clients), and PostgreSQL's — the
 * server processes of that side's connections (found by an application_name of their own; their
 * CPU time from /proc/<pid>/schedstat, so the server must run on this machine, else "-").
 *
 * Counted: conflicts (optimistic versioned updates that found the row changed, and ran again),
 * deferred jobs (a transaction that gave up as the database's trouble and was rescheduled),
 * deadlocks (40P01 seen), and oversell: on-hand below 0, or other than exactly 100 units reserved,
 * or a `warehouse check` rule broken — which must be 0.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { poolConfig } from '../src/adapters/postgres/connection.js';
import { openPostgresBackend } from '../src/adapters/postgres/index.js';
import { RESERVE_STRATEGIES, type ReserveStrategy } from '../src/domain/settings.js';
import { createWarehouse } from '../src/wiring/warehouse.js';
import { runBaseline } from './locking-baseline.js';

export const PG_URL =
  process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/test';
const SKU = 'HOT';

export interface RunResult {
  orders: number;
  wallMs: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerOrder: number;
  /** PostgreSQL's server processes of this run's connections, CPU ms per order (null: not measurable here) */
  pgCpuMsPerOrder: number | null;
  conflicts: number;
  deferred: number;
  deadlocks: number;
  /** must be 0: on-hand below 0, units reserved other than the stock, or broken invariants */
  oversell: number;
  reserved: number;
}

export interface Row {
  strategy: ReserveStrategy;
  concurrency: number;
  engine: RunResult;
  baseline: RunResult;
  /** the ratio is the median of these (--rounds) */
  ratio: number;
  ratios?: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The rounds of one side as one result: each figure's median (counts too), oversell the worst. */
function medianRun(runs: RunResult[]): RunResult {
  if (runs.length === 1) return runs[0]!;
  const m = (f: (r: RunResult) => number) => +median(runs.map(f)).toFixed(2);
  const pgs = runs.map((r) => r.pgCpuMsPerOrder).filter((x): x is number => x !== null);
  return {
    orders: runs[0]!.orders,
    wallMs: Math.round(m((r) => r.wallMs)),
    perSec: Math.round(m((r) => r.perSec)),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    cpuMsPerOrder: m((r) => r.cpuMsPerOrder),
    pgCpuMsPerOrder: pgs.length === runs.length ? +median(pgs).toFixed(2) : null,
    conflicts: Math.round(m((r) => r.conflicts)),
    deferred: Math.round(m((r) => r.deferred)),
    deadlocks: Math.max(...runs.map((r) => r.deadlocks)),
    oversell: Math.max(...runs.map((r) => r.oversell)),
    reserved: runs[0]!.reserved,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarise(
  latencies: number[],
  wallMs: number,
  cpuMs: number,
  extra: Omit<RunResult, 'orders' | 'wallMs' | 'perSec' | 'p50Ms' | 'p99Ms' | 'cpuMsPerOrder' | 'pgCpuMsPerOrder'>,
  pgCpuMs: number | null = null,
): RunResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    orders: n,
    wallMs: Math.round(wallMs),
    perSec: Math.round((n / wallMs) * 1000),
    p50Ms: +percentile(sorted, 50).toFixed(2),
    p99Ms: +percentile(sorted, 99).toFixed(2),
    cpuMsPerOrder: +(cpuMs / n).toFixed(2),
    pgCpuMsPerOrder: pgCpuMs === null ? null : +(pgCpuMs / n).toFixed(2),
    ...extra,
  };
}

const cpuSince = (u: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(u);
  return (d.user + d.system) / 1000;
};

let schemas = 0;
const schemaName = () => `bench_locking_${process.pid}_${++schemas}`;
/** a side's connections are told apart on the server by their application_name: the schema's name */
const urlFor = (schema: string, poolSize: number) => {
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  u.searchParams.set('poolSize', String(poolSize));
  u.searchParams.set('application_name', schema);
  return u.toString();
};

/**
 * CPU ms used so far by the server processes whose connections are named `app` (schedstat: ns, of
 * processes still alive), or null when they cannot be read (a server on another machine).
 */
async function serverCpuMs(app: string): Promise<number | null> {
  const c = new pg.Client(poolConfig({ url: PG_URL }));
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [app]);
    let ns = 0;
    for (const { pid } of rows) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        return null;
      }
    }
    return ns / 1e6;
  } finally {
    await c.end();
  }
}
const cpuBetween = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client(poolConfig({ url: PG_URL }));
  await c.connect();
  try {
    await c.query('SET client_min_messages = warning');
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** A fresh schema with `stock` units of the hot SKU and `orders` queued orders (not timed). */
export async function prepare(schema: string, orders: number, stock: number): Promise<void> {
  const b = await openPostgresBackend({ url: PG_URL, schema, poolSize: 8 });
  try {
    await b.store.setOnHand(SKU, stock, Date.now());
    const now = Date.now();
    const plan = () => ({
      outcome: 'created',
      movements: [],
      events: [{ type: 'OrderCreated' as const, data: { sku: SKU, qty: 1 } }],
      jobs: [{ type: 'ReserveInventory' as const, runAt: now, payload: {} }],
    });
    for (let i = 0; i < orders; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, orders - i) }, () => b.store.createOrder(SKU, 1, now, plan)));
    }
  } finally {
    await b.close();
  }
}

/** Oversell and broken invariants on a schema: 0 when all is well. */
export async function oversellOf(schema: string, stock: number): Promise<{ oversell: number; reserved: number }> {
  const c = new pg.Client(poolConfig({ url: PG_URL, schema }));
  await c.connect();
  try {
    const r = await c.query<{ on_hand: number; reserved: number; moved: number }>(
      `SELECT i.on_hand, (SELECT count(*)::int FROM orders WHERE status = 'reserved') AS reserved,
              (SELECT count(*)::int FROM movements WHERE type = 'reservation') AS moved
       FROM inventory i WHERE i.sku = $1`,
      [SKU],
    );
    const row = r.rows[0]!;
    let bad = (row.on_hand < 0 ? 1 : 0) + Math.abs(row.reserved - stock) + Math.abs(row.moved - stock);
    const { PG_SQL } = await import('../src/adapters/postgres/audit.js');
    for (const sql of Object.values(PG_SQL)) bad += (await c.query(sql)).rows.length;
    return { oversell: bad, reserved: row.reserved };
  } finally {
    await c.end();
  }
}

async function runEngine(strategy: ReserveStrategy, concurrency: number, orders: number, stock: number): Promise<RunResult> {
  const schema = schemaName();
  try {
    await prepare(schema, orders, stock);
    const w = await createWarehouse({
      database: urlFor(schema, concurrency + 2),
      clock: 'real',
      settings: { reserveStrategy: strategy, concurrency },
      supplierScript: { [SKU]: { reserve: 'rejected' } },
      mockTransport: 'direct',
    });
    const latencies: number[] = [];
    let conflicts = 0;
    let deferred = 0;
    w.bus.on('job:complete', (e) => latencies.push(e.durationMs));
    w.bus.on('job:retry', (e) => {
      if (e.owner === 'database') deferred++;
    });
    w.bus.on('order:event', (e) => {
      if (e.type === 'InventoryConflict') conflicts += Number(e.data.conflicts);
    });
    const pg0 = await serverCpuMs(schema);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await w.runner.runUntilIdle();
    const wallMs = performance.now() - t0;
    const cpuMs = cpuSince(cpu);
    const pgCpu = cpuBetween(pg0, await serverCpuMs(schema));
    const info = await w.store.info();
    await w.close();
    // conflicts that ran out of tries were counted by the adapter but never recorded on a timeline
    conflicts = Math.max(conflicts, Number(info.conflicts));
    return summarise(latencies, wallMs, cpuMs, { conflicts, deferred, deadlocks: Number(info.deadlocks), ...(await oversellOf(schema, stock)) }, pgCpu);
  } finally {
    await dropSchema(schema);
  }
}

async function runBaselineOn(strategy: ReserveStrategy, concurrency: number, orders: number, stock: number): Promise<RunResult> {
  const schema = schemaName();
  try {
    await prepare(schema, orders, stock);
    const pool = new pg.Pool({ ...poolConfig({ url: PG_URL, schema }), max: concurrency + 2, application_name: schema });
    pool.on('error', () => {});
    try {
      const pg0 = await serverCpuMs(schema);
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      const r = await runBaseline(pool, strategy, concurrency);
      const wallMs = performance.now() - t0;
      const cpuMs = cpuSince(cpu);
      const pgCpu = cpuBetween(pg0, await serverCpuMs(schema));
      return summarise(
        r.latencies,
        wallMs,
        cpuMs,
        {
          conflicts: r.conflicts,
          deferred: r.deferred,
          deadlocks: r.deadlocks,
          ...(await oversellOf(schema, stock)),
        },
        pgCpu,
      );
    } finally {
      await pool.end();
    }
  } finally {
    await dropSchema(schema);
  }
}

async function unavailable(): Promise<string | null> {
  const c = new pg.Client({ ...poolConfig({ url: PG_URL }), connectionTimeoutMillis: 3_000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await c.end().catch(() => {});
  }
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      orders: { type: 'string' },
      stock: { type: 'string' },
      concurrency: { type: 'string' },
      strategies: { type: 'string' },
      durability: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds ?? 1);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50)) throw new Error(`--rounds: a whole number from 1 to 50 (got ${values.rounds})`);
  // --quick (CI): a fifth of the orders at the level the baseline compares (16), a few seconds
  const orders = Number(values.orders ?? (values.quick ? 200 : 1_000));
  const stock = Number(values.stock ?? (values.quick ? 20 : 100));
  const levels = list(values.concurrency ?? (values.quick ? '16' : '1,4,16,32')).map(Number);
  const strategies = list(values.strategies ?? RESERVE_STRATEGIES.join(',')) as ReserveStrategy[];
  for (const s of strategies) if (!RESERVE_STRATEGIES.includes(s)) throw new Error(`--strategies: unknown ${s} (use ${RESERVE_STRATEGIES.join(', ')})`);

  const why = await unavailable();
  if (why) {
    const reason = `no PostgreSQL answers at ${PG_URL} (${why}); start it or set DATABASE_URL`;
    console.log(`locking: skipped: ${reason}`);
    if (values.json) console.log(JSON.stringify({ locking: { skipped: reason } }));
    return;
  }

  const started = performance.now();
  console.log(
    `locking: ${orders} orders of 1 unit for ${stock} units of one SKU, concurrency ${levels.join(', ')}, on ${new URL(PG_URL).host}${rounds > 1 ? `, ${rounds} rounds each (medians)` : ''}`,
  );
  const head = [
    'strategy',
    'C',
    'engine/s',
    'p50 ms',
    'p99 ms',
    'base/s',
    'p50 ms',
    'p99 ms',
    'ratio',
    'cpu ms/order',
    'pg cpu ms/order',
    'conflicts',
    'deferred',
    'deadlocks',
    'oversell',
  ];
  const widths = [11, 3, 8, 7, 7, 7, 7, 7, 5, 12, 15, 15, 8, 9, 8];
  const line = (cells: Array<string | number>) => cells.map((c, i) => String(c).padStart(widths[i]!)).join(' ');
  console.log(line(head));
  const rows: Row[] = [];
  for (const strategy of strategies) {
    for (const concurrency of levels) {
      const pairs: Array<{ engine: RunResult; baseline: RunResult }> = [];
      for (let i = 0; i < rounds; i++) {
        const baseline = await runBaselineOn(strategy, concurrency, orders, stock);
        const engine = await runEngine(strategy, concurrency, orders, stock);
        pairs.push({ engine, baseline });
      }
      const engine = medianRun(pairs.map((p) => p.engine));
      const baseline = medianRun(pairs.map((p) => p.baseline));
      const row: Row = { strategy, concurrency, engine, baseline, ratio: +median(pairs.map((p) => p.engine.perSec / p.baseline.perSec)).toFixed(2) };
      if (rounds > 1) row.ratios = pairs.map((p) => +(p.engine.perSec / p.baseline.perSec).toFixed(2));
      rows.push(row);
      console.log(
        line([
          strategy,
          concurrency,
          engine.perSec,
          engine.p50Ms,
          engine.p99Ms,
          baseline.perSec,
          baseline.p50Ms,
          baseline.p99Ms,
          row.ratio,
          `${engine.cpuMsPerOrder}/${baseline.cpuMsPerOrder}`,
          `${engine.pgCpuMsPerOrder ?? '-'}/${baseline.pgCpuMsPerOrder ?? '-'}`,
          `${engine.conflicts}/${baseline.conflicts}`,
          `${engine.deferred}/${baseline.deferred}`,
          `${engine.deadlocks}/${baseline.deadlocks}`,
          `${engine.oversell}/${baseline.oversell}`,
        ]),
      );
    }
  }
  const seconds = +((performance.now() - started) / 1000).toFixed(1);
  for (const r of rows) if (r.ratios) console.log(`${r.strategy} C=${r.concurrency}: ratios of the ${r.ratios.length} rounds ${r.ratios.join(', ')}`);
  console.log(
    `(cpu ms/order: this process's CPU over the run ÷ orders; pg cpu: the server processes of its connections; they and the counts are engine/baseline${rounds > 1 ? '; each a median of the rounds' : ''}) ${seconds} s`,
  );
  const at = (s: ReserveStrategy) => rows.find((r) => r.strategy === s && r.concurrency === 16) ?? rows.find((r) => r.strategy === s);
  const ratios = rows.map((r) => r.ratio).sort((a, b) => a - b);
  if (values.json) {
    console.log(
      JSON.stringify({
        locking: {
          orders,
          stock,
          seconds,
          ratio: ratios[Math.floor(ratios.length / 2)] ?? null,
          oversell: rows.reduce((n, r) => n + r.engine.oversell + r.baseline.oversell, 0),
          deadlocks: rows.reduce((n, r) => n + r.engine.deadlocks + r.baseline.deadlocks, 0),
          at16: Object.fromEntries(strategies.map((s) => [s, at(s) ? { engine: at(s)!.engine.perSec, baseline: at(s)!.baseline.perSec } : null])),
          rows,
        },
      }),
    );
  }
  const oversold = rows.filter((r) => r.engine.oversell > 0 || r.baseline.oversell > 0);
  if (oversold.length > 0) {
    console.error(`OVERSELL in ${oversold.map((r) => `${r.strategy}/${r.concurrency}`).join(', ')}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
