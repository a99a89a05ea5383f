/**
 * Engine throughput: orders per second end-to-end in one process (create → ReserveInventory job →
 * reserved, with the events and the movement written), against a baseline that performs the same
 * writes with hand-written SQL through better-sqlite3, one IMMEDIATE transaction per step.
 *
 * Run: npx tsx bench/engine.ts [--quick] [--json] [--durability full|normal] [--orders N]
 *      [--inflight W] [--rounds R] [--warmup N] [--no-baseline] [--trace]
 *
 * `--trace` runs the engine with tracing on (every span to a trace file, as `--trace-file` does);
 * without it tracing is off, as by default (docs/performance.md compares the two).
 *
 * Subject. `createWarehouse` on a new SQLite file in a temp dir (WAL, the durability asked for),
 * real clock, the in-process mock supplier present but never called: the SKU has stock for every
 * order. The runner runs in the background (`runForever`) while a closed-loop driver keeps W orders
 * in flight: it calls `w.orders.create` until W orders are unreserved, then waits for an
 * `OrderReserved` event on the bus before it creates the next one. A closed loop keeps the queue
 * short and stable, so the latency (create call → `OrderReserved`, performance.now()) says how long
 * one order takes under a steady load; create-all-then-run would measure only how long the backlog
 * is. With W at least the runner's concurrency (8), the runner always has work and the figure is
 * the engine's throughput; latency grows with W (Little's law: latency ≈ W / throughput).
 *
 * Baseline. A second new file opened through the project's migration path (same schema, indexes,
 * triggers, pragmas), then raw prepared statements: per order, sequentially, one IMMEDIATE
 * transaction to create (order + OrderCreated + job), one to claim the job, one to reserve (read
 * order, stock and job; update order and stock; movement; InventoryReserved and OrderReserved;
 * delete the job). Three commits per order, so with synchronous=FULL three WAL fsyncs.
 *
 * Each round runs the baseline then the engine on fresh files; the figures are the medians of the
 * rounds. A warm-up (not measured) runs first in each, on the same file.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Durability } from '../src/adapters/sqlite/open.js';
import { openConnection } from '../src/adapters/sqlite/connection.js';
import type { TimelineEvent } from '../src/domain/events.js';
import { createWarehouse } from '../src/wiring/warehouse.js';

export interface EngineBenchOptions {
  /** measured orders per run (default 5,000; quick: 500) */
  orders?: number;
  /** unmeasured orders first, on the same file (default: 10 % of orders, at least 100; quick: 50) */
  warmup?: number;
  durability?: Durability;
  /** orders kept in flight by the engine's driver (default 32) */
  inflight?: number;
  /** rounds of baseline + engine; medians are reported (default 3; quick: 1) */
  rounds?: number;
  quick?: boolean;
  /** run the engine only (for profiling); the baseline figures are then NaN */
  skipBaseline?: boolean;
  /** print the human-readable lines (default true) */
  log?: boolean;
  /** trace the engine (spans to a trace file in the temp dir, as `--trace-file` does): the cost of tracing on */
  trace?: boolean;
}

export interface RunFigures {
  orders: number;
  wallMs: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** orders in flight on average (Little's law: throughput × mean latency) */
  meanInFlight: number;
  /** CPU time (user + system) of the process per order, ms */
  cpuMsPerOrder: number;
  /** SQLite commits that wrote something, per order */
  commitsPerOrder: number;
  /** engine only: claim transactions that took at least one job / took none, per order */
  claimsPerOrder?: number;
  emptyClaimsPerOrder?: number;
}

export interface EngineResult {
  ordersPerSec: number;
  baselinePerSec: number;
  /** median over the rounds of engine/baseline in that round */
  ratio: number;
  durability: Durability;
  /** PRAGMA synchronous read back from the engine's connection: 2 = FULL, 1 = NORMAL */
  synchronous: number;
  orders: number;
  inflight: number;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  cpuMsPerOrder: number;
  baselineCpuMsPerOrder: number;
  commitsPerOrder: number;
  baselineCommitsPerOrder: number;
  claimsPerOrder: number;
  emptyClaimsPerOrder: number;
  /** every round, for the record */
  /** median fsync of a 4 KiB append in the temp dir, measured before the first round: the floor of a FULL commit */
  fsyncMs: number;
  meanInFlight: number;
  /** the same engine with group commit on (one transaction per event-loop turn) */
  groupCommitPerSec: number;
  /** group commit against the one-transaction-per-step baseline (target ≥ 4 with FULL) */
  groupCommitRatio: number;
  groupCommitP50Ms: number;
  groupCommitP99Ms: number;
  groupCommitCommitsPerOrder: number;
  groupCommitCpuMsPerOrder: number;
  /** the baseline's statements, `inflight` orders per transaction by hand: the SQL's own cost, group commit's ceiling */
  batchedPerSec: number;
  batchedCpuMsPerOrder: number;
  /** batched by hand ÷ the baseline (median of the rounds) */
  batchedRatio: number;
  /** group commit ÷ batched by hand (median of the rounds): how near the engine comes to its ceiling */
  groupCommitOfBatched: number;
  runs: Array<{ engine: RunFigures; groupCommit: RunFigures; baseline: RunFigures | null; batched: RunFigures | null; fsyncMs: number }>;
}

const SKU = 'BENCH';
const STOCK = 1_000_000; // the largest on-hand the domain accepts; every order takes 1

// ---------------------------------------------------------------------------------------------
// small helpers

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (x: number, digits = 2) => +x.toFixed(digits);

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

function figures(latencies: number[], wallMs: number, cpu: number, commits: number): RunFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return {
    orders: n,
    wallMs: round(wallMs, 1),
    perSec: Math.round((n / wallMs) * 1000),
    p50Ms: round(percentile(sorted, 50), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    maxMs: round(sorted[n - 1] ?? NaN, 3),
    meanMs: round(mean, 3),
    meanInFlight: round((n / wallMs) * mean, 1),
    cpuMsPerOrder: round(cpu / n, 3),
    commitsPerOrder: round(commits / n, 2),
  };
}

function median<T>(items: T[], key: (t: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

// ---------------------------------------------------------------------------------------------
// subject: the engine

async function runEngine(
  file: string,
  durability: Durability,
  orders: number,
  warmup: number,
  inflight: number,
  groupCommit = false,
  traceFile?: string,
): Promise<{ figures: RunFigures; synchronous: number }> {
  const w = await createWarehouse({
    database: { kind: 'sqlite', file, durability, groupCommit },
    clock: 'real',
    ...(traceFile ? { tracing: { file: traceFile } } : {}),
  });
  const synchronous = Number((await w.store.info()).synchronous);
  await w.inventory.set(SKU, STOCK);

  // count the runner's claim transactions (one commit each) without changing what they do
  // (an empty claim writes nothing, so SQLite commits it without a WAL write or fsync)
  let claims = 0;
  let emptyClaims = 0;
  const claim = w.queue.claim.bind(w.queue);
  w.queue.claim = async (...args) => {
    const jobs = await claim(...args);
    if (jobs.length > 0) claims++;
    else emptyClaims++;
    return jobs;
  };

  const started = new Map<number, number>();
  const reserved = new Map<number, number>();
  let done = 0;
  let failure: unknown = null;
  let onProgress: (() => void) | null = null;
  const progress = () => {
    const f = onProgress;
    onProgress = null;
    f?.();
  };
  w.bus.on('order:event', (e: TimelineEvent) => {
    if (e.type === 'OrderReserved') {
      reserved.set(e.orderId, performance.now());
      done++;
      progress();
    } else if (e.type === 'OrderFailed' || e.type === 'SupplierReservationRequested') {
      failure ??= new Error(`order ${e.orderId}: unexpected ${e.type} ${JSON.stringify(e.data)} (the bench expects every order to be reserved from stock)`);
      progress();
    }
  });
  w.bus.on('job:dead', ({ job, error }) => {
    failure ??= new Error(`job ${job.id} dead-lettered: ${error}`);
    progress();
  });
  w.bus.on('listener:error', ({ event, error }) => {
    failure ??= new Error(`bus listener for ${event} threw: ${String(error)}`);
    progress();
  });

  const abort = new AbortController();
  const runner = w.runner.runForever(abort.signal);
  let createdCount = 0;

  /** Closed loop: keep `inflight` orders unreserved until `count` more orders are reserved. */
  async function drive(count: number, ids: number[] | null): Promise<void> {
    const target = done + count;
    let launched = 0;
    while (done < target) {
      if (failure) throw failure;
      if (launched < count && createdCount - done < inflight) {
        // fill the window in one go, without waiting for each create: concurrent clients, as in
        // a server (and what lets group commit put several creates in one transaction)
        while (launched < count && createdCount - done < inflight) {
          launched++;
          createdCount++;
          const t0 = performance.now();
          void w.orders.create({ sku: SKU, qty: 1 }).then(
            (order) => {
              started.set(order.id, t0);
              ids?.push(order.id);
            },
            (error: unknown) => (failure = error as Error),
          );
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        onProgress = resolve;
      });
    }
  }
  // one watchdog for the run, not a timer for every wait: the driver's own cost is counted as the
  // engine's CPU, so it stays as small as the baseline's loop
  const stallMs = 30_000;
  let seen = -1;
  const watchdog = setInterval(() => {
    if (done === seen && !failure) {
      failure = new Error(`engine made no progress for ${stallMs / 1000} s (${done} orders reserved, ${createdCount} created)`);
      progress();
    }
    seen = done;
  }, stallMs);

  try {
    await drive(warmup, null);
    const ids: number[] = [];
    const claimsBefore = claims;
    const emptyBefore = emptyClaims;
    const commitsBefore = Number((await w.store.info()).commits);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await drive(orders, ids);
    const wallMs = performance.now() - t0;
    const cpu = cpuMs(cpu0);
    const latencies = ids.map((id) => reserved.get(id)! - started.get(id)!);
    if (latencies.some((x) => !Number.isFinite(x))) throw new Error('an order was measured without its OrderReserved event');
    // commits per measured order, as the connection counted them (a group-commit batch once)
    const commits = Number((await w.store.info()).commits) - commitsBefore;
    const f = figures(latencies, wallMs, cpu, commits);
    f.claimsPerOrder = round((claims - claimsBefore) / orders, 2);
    f.emptyClaimsPerOrder = round((emptyClaims - emptyBefore) / orders, 2);
    return { figures: f, synchronous };
  } finally {
    clearInterval(watchdog);
    abort.abort();
    await runner.catch(() => {});
    await w.close();
  }
}

// ---------------------------------------------------------------------------------------------
// baseline: the same writes, hand-written SQL, one transaction per step

/**
 * `batch` 1: the baseline, one transaction per step per order. `batch` B > 1: the same statements
 * with B orders per transaction, step by step (B creates in one, one claim of up to B jobs, B
 * reservations in one), as group commit batches them: what the SQL costs without the engine, the
 * machine's ceiling for the engine's group commit (the latency of an order is its batch's).
 */
async function runBaseline(file: string, durability: Durability, orders: number, warmup: number, batch = 1): Promise<RunFigures> {
  const connection = await openConnection({ file, durability });
  const db = connection.raw;
  const workerId = `bench-baseline:${process.pid}`;
  const leaseMs = 30_000;
  const maxAttempts = 5;
  try {
    const now0 = Date.now();
    db.prepare(`INSERT INTO inventory (sku, on_hand, version, updated_at) VALUES (?, ?, 0, ?)`).run(SKU, STOCK, now0);

    const insertOrder = db.prepare(
      `INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?) RETURNING id`,
    );
    const insertEvent = db.prepare(`INSERT INTO order_events (order_id, at, type, data) VALUES (?, ?, ?, ?)`);
    const insertJob = db.prepare(
      `INSERT INTO jobs (type, order_id, payload, run_at, max_attempts, created_at) VALUES ('ReserveInventory', ?, '{}', ?, ?, ?) RETURNING id`,
    );
    const selectDue = db.prepare(
      `SELECT id, order_id AS orderId, attempts FROM jobs WHERE run_at <= ? AND (status = 'queued' OR locked_until <= ?) ORDER BY run_at, id LIMIT 1`,
    );
    const lockJob = db.prepare(`UPDATE jobs SET status = 'running', locked_by = ?, locked_until = ?, attempts = ? WHERE id = ?`);
    const selectOrder = db.prepare(`SELECT id, sku, qty, status FROM orders WHERE id = ?`);
    const selectStock = db.prepare(`SELECT on_hand AS onHand FROM inventory WHERE sku = ?`);
    const selectLease = db.prepare(`SELECT status, locked_by AS lockedBy FROM jobs WHERE id = ?`);
    const reserveOrder = db.prepare(`UPDATE orders SET status = 'reserved', updated_at = ? WHERE id = ?`);
    const updateStock = db.prepare(`UPDATE inventory SET on_hand = ?, version = version + 1, updated_at = ? WHERE sku = ?`);
    const insertMovement = db.prepare(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES (?, 'reservation', ?, ?, ?, ?)`);
    const insertTwoEvents = db.prepare(
      `INSERT INTO order_events (order_id, at, type, data) VALUES (?, ?, 'InventoryReserved', ?), (?, ?, 'OrderReserved', '{}')`,
    );
    const deleteJob = db.prepare(`DELETE FROM jobs WHERE id = ?`);
    // a constant LIMIT (a bound one is planned again on every call: src/adapters/sqlite/limit.ts)
    const selectDueBatch = db.prepare(
      `SELECT id, order_id AS orderId, attempts FROM jobs WHERE run_at <= ? AND (status = 'queued' OR locked_until <= ?) ORDER BY run_at, id LIMIT ${Math.max(1, batch)}`,
    );

    const create = db.transaction((sku: string, qty: number, now: number) => {
      const { id } = insertOrder.get(sku, qty, now, now) as { id: number };
      insertEvent.run(id, now, 'OrderCreated', JSON.stringify({ sku, qty }));
      insertJob.get(id, now, maxAttempts, now);
      return id;
    });
    const claim = db.transaction((now: number) => {
      const job = selectDue.get(now, now) as { id: number; orderId: number; attempts: number } | undefined;
      if (!job) return null;
      lockJob.run(workerId, now + leaseMs, job.attempts + 1, job.id);
      return job;
    });
    const reserve = db.transaction((job: { id: number; orderId: number }, now: number) => {
      const order = selectOrder.get(job.orderId) as { id: number; sku: string; qty: number; status: string };
      const { onHand } = selectStock.get(order.sku) as { onHand: number };
      const lease = selectLease.get(job.id) as { status: string; lockedBy: string } | undefined;
      if (!lease || lease.status !== 'running' || lease.lockedBy !== workerId) throw new Error(`lease lost on job ${job.id}`);
      if (order.status !== 'pending' || onHand < order.qty) throw new Error(`order ${order.id} cannot be reserved from stock`);
      const after = onHand - order.qty;
      reserveOrder.run(now, order.id);
      updateStock.run(after, now, order.sku);
      insertMovement.run(order.sku, -order.qty, order.id, after, now);
      insertTwoEvents.run(order.id, now, JSON.stringify({ source: 'stock', qty: order.qty, onHandAfter: after }), order.id, now);
      deleteJob.run(job.id);
    });

    const one = () => {
      create.immediate(SKU, 1, Date.now());
      const job = claim.immediate(Date.now());
      if (!job) throw new Error('baseline: the job just created was not claimable');
      reserve.immediate(job, Date.now());
    };
    const createMany = db.transaction((n: number, now: number) => {
      for (let i = 0; i < n; i++) create(SKU, 1, now);
    });
    const claimMany = db.transaction((now: number) => {
      const jobs = selectDueBatch.all(now, now) as Array<{ id: number; orderId: number; attempts: number }>;
      for (const job of jobs) lockJob.run(workerId, now + leaseMs, job.attempts + 1, job.id);
      return jobs;
    });
    const reserveMany = db.transaction((jobs: Array<{ id: number; orderId: number }>, now: number) => {
      for (const job of jobs) reserve(job, now);
    });
    /** `n` orders in three transactions; their count */
    const many = (n: number) => {
      createMany.immediate(n, Date.now());
      const jobs = claimMany.immediate(Date.now());
      if (jobs.length !== n) throw new Error(`baseline: ${n} jobs created, ${jobs.length} claimable`);
      reserveMany.immediate(jobs, Date.now());
      return n;
    };

    const latencies: number[] = new Array(orders);
    /** runs `count` orders; with `into`, each one's latency is written from `at` on */
    const drive = (count: number, into?: number[]) => {
      for (let i = 0; i < count; ) {
        const s = performance.now();
        const n = batch > 1 ? many(Math.min(batch, count - i)) : (one(), 1);
        const took = performance.now() - s;
        if (into) into.fill(took, i, i + n);
        i += n;
      }
    };
    drive(warmup);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    drive(orders, latencies);
    const wallMs = performance.now() - t0;
    return figures(latencies, wallMs, cpuMs(cpu0), batch > 1 ? Math.ceil(orders / batch) * 3 : orders * 3);
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------

/** Median time of an fsync after a 4 KiB append, in `dir`: what one FULL commit pays at least. */
function probeFsync(dir: string, n = 100): number {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      writeSync(fd, block);
      const t0 = performance.now();
      fsyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return round(percentile(times, 50), 3);
}

export async function runEngineBench(opts: EngineBenchOptions = {}): Promise<EngineResult> {
  const quick = opts.quick ?? false;
  const orders = opts.orders ?? (quick ? 500 : 5_000);
  const warmup = opts.warmup ?? (quick ? 50 : Math.max(100, Math.round(orders / 10)));
  const durability: Durability = opts.durability ?? 'full';
  const inflight = opts.inflight ?? 32;
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const log = opts.log ?? true;
  const say = (line: string) => {
    if (log) console.log(line);
  };

  const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-engine-'));
  const runs: EngineResult['runs'] = [];
  let synchronous = NaN;
  let fsyncMs = NaN;
  try {
    fsyncMs = probeFsync(dir);
    say(
      `engine (${orders} orders per run after ${warmup} warm-up, ${rounds} round${rounds === 1 ? '' : 's'}, durability ${durability}, WAL, ` +
        `up to ${inflight} in flight, fsync ${fsyncMs} ms, Node ${process.version}, ${cpus().length} cores${opts.trace ? ', tracing on: spans to a trace file' : ''})`,
    );
    for (let r = 0; r < rounds; r++) {
      const roundFsync = r === 0 ? fsyncMs : probeFsync(dir, 50);
      const baseline = opts.skipBaseline ? null : await runBaseline(join(dir, `baseline-${r}.db`), durability, orders, warmup);
      const batched = opts.skipBaseline ? null : await runBaseline(join(dir, `batched-${r}.db`), durability, orders, warmup, inflight);
      const trace = (name: string) => (opts.trace ? join(dir, `${name}-${r}.jsonl`) : undefined);
      const engine = await runEngine(join(dir, `engine-${r}.db`), durability, orders, warmup, inflight, false, trace('engine'));
      const grouped = await runEngine(join(dir, `group-${r}.db`), durability, orders, warmup, inflight, true, trace('group'));
      synchronous = engine.synchronous;
      runs.push({ engine: engine.figures, groupCommit: grouped.figures, baseline, batched, fsyncMs: roundFsync });
      if (rounds > 1) {
        const ratio = baseline ? ` ratio ${round(engine.figures.perSec / baseline.perSec)}` : '';
        say(`  round ${r + 1}: fsync ${roundFsync} ms, baseline ${baseline?.perSec ?? '-'}/s, engine ${engine.figures.perSec}/s${ratio}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const e = median(
    runs.map((x) => x.engine),
    (f) => f.perSec,
  );
  const baselines = runs.flatMap((x) => (x.baseline ? [x.baseline] : []));
  const b: Partial<RunFigures> = baselines.length > 0 ? median(baselines, (f) => f.perSec) : {};
  // the ratio is the median of each round's ratio: a round's baseline and engine run back to back,
  // so they share the disk's mood (fsync times on a shared machine drift by 10× over minutes)
  const ratios = runs.flatMap((x) => (x.baseline ? [x.engine.perSec / x.baseline.perSec] : []));
  const ratio = ratios.length > 0 ? round(median(ratios, (x) => x)) : NaN;
  const g = median(
    runs.map((x) => x.groupCommit),
    (f) => f.perSec,
  );
  const groupRatios = runs.flatMap((x) => (x.baseline ? [x.groupCommit.perSec / x.baseline.perSec] : []));
  const groupCommitRatio = groupRatios.length > 0 ? round(median(groupRatios, (x) => x)) : NaN;
  const batchedRuns = runs.flatMap((x) => (x.batched ? [x.batched] : []));
  const h: Partial<RunFigures> = batchedRuns.length > 0 ? median(batchedRuns, (f) => f.perSec) : {};
  const medianOf = (xs: number[]) => (xs.length > 0 ? round(median(xs, (x) => x)) : NaN);
  const batchedRatio = medianOf(runs.flatMap((x) => (x.batched && x.baseline ? [x.batched.perSec / x.baseline.perSec] : [])));
  const groupCommitOfBatched = medianOf(runs.flatMap((x) => (x.batched ? [x.groupCommit.perSec / x.batched.perSec] : [])));
  const result: EngineResult = {
    ordersPerSec: e.perSec,
    baselinePerSec: b.perSec ?? NaN,
    ratio,
    durability,
    synchronous,
    orders,
    inflight,
    rounds,
    p50Ms: e.p50Ms,
    p99Ms: e.p99Ms,
    baselineP50Ms: b.p50Ms ?? NaN,
    baselineP99Ms: b.p99Ms ?? NaN,
    cpuMsPerOrder: e.cpuMsPerOrder,
    baselineCpuMsPerOrder: b.cpuMsPerOrder ?? NaN,
    commitsPerOrder: e.commitsPerOrder,
    baselineCommitsPerOrder: b.commitsPerOrder ?? NaN,
    claimsPerOrder: e.claimsPerOrder ?? NaN,
    emptyClaimsPerOrder: e.emptyClaimsPerOrder ?? NaN,
    fsyncMs,
    meanInFlight: e.meanInFlight,
    groupCommitPerSec: g.perSec,
    groupCommitRatio,
    groupCommitP50Ms: g.p50Ms,
    groupCommitP99Ms: g.p99Ms,
    groupCommitCommitsPerOrder: g.commitsPerOrder,
    groupCommitCpuMsPerOrder: g.cpuMsPerOrder,
    batchedPerSec: h.perSec ?? NaN,
    batchedCpuMsPerOrder: h.cpuMsPerOrder ?? NaN,
    batchedRatio,
    groupCommitOfBatched,
    runs,
  };
  const pad = (s: string | number | undefined, n: number) => String(s ?? '-').padStart(n);
  const fix = (x: number | undefined, d: number) => (x === undefined ? '-' : x.toFixed(d));
  say(`                                      orders/s   p50 ms   p99 ms  in flight  CPU ms/order  commits/order`);
  say(
    `  baseline: raw SQL, 1 tx per step   ${pad(b.perSec, 8)} ${pad(fix(b.p50Ms, 2), 8)} ${pad(fix(b.p99Ms, 2), 8)} ${pad(b.meanInFlight, 10)} ` +
      `${pad(fix(b.cpuMsPerOrder, 3), 13)} ${pad(b.commitsPerOrder, 14)}`,
  );
  say(
    `  ${`same SQL by hand, ${inflight} per tx`.padEnd(34)} ${pad(h.perSec, 8)} ${pad(fix(h.p50Ms, 2), 8)} ${pad(fix(h.p99Ms, 2), 8)} ${pad(h.meanInFlight, 10)} ` +
      `${pad(fix(h.cpuMsPerOrder, 3), 13)} ${pad(h.commitsPerOrder, 14)}`,
  );
  say(
    `  engine: create → runner → reserved ${pad(e.perSec, 8)} ${pad(fix(e.p50Ms, 2), 8)} ${pad(fix(e.p99Ms, 2), 8)} ${pad(e.meanInFlight, 10)} ` +
      `${pad(fix(e.cpuMsPerOrder, 3), 13)} ${pad(e.commitsPerOrder, 14)}`,
  );
  say(
    `  engine, group commit               ${pad(g.perSec, 8)} ${pad(fix(g.p50Ms, 2), 8)} ${pad(fix(g.p99Ms, 2), 8)} ${pad(g.meanInFlight, 10)} ` +
      `${pad(fix(g.cpuMsPerOrder, 3), 13)} ${pad(g.commitsPerOrder, 14)}`,
  );
  say(
    `  group commit ratio ${groupCommitRatio} (target ≥ 4 with FULL); the same SQL batched by hand ${batchedRatio} × the baseline, ` +
      `group commit ${groupCommitOfBatched} of it`,
  );
  say(
    `  ratio ${ratio} (target ≥ 0.5), synchronous=${synchronous === 2 ? 'FULL' : synchronous === 1 ? 'NORMAL' : synchronous}; latency = create call → OrderReserved`,
  );
  return result;
}

// ---------------------------------------------------------------------------------------------
// run alone

function parseArgs(argv: string[]): EngineBenchOptions & { json: boolean } {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => {
    const v = value(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} needs a positive whole number, got ${JSON.stringify(v)}`);
    return n;
  };
  const durability = value('--durability') ?? 'full';
  if (durability !== 'full' && durability !== 'normal') throw new Error(`--durability is full or normal, got ${JSON.stringify(durability)}`);
  return {
    quick: argv.includes('--quick'),
    json: argv.includes('--json'),
    durability,
    orders: num('--orders'),
    warmup: num('--warmup'),
    inflight: num('--inflight'),
    rounds: num('--rounds'),
    skipBaseline: argv.includes('--no-baseline'),
    trace: argv.includes('--trace'),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { json, ...opts } = parseArgs(process.argv.slice(2));
    const result = await runEngineBench(opts);
    if (json) {
      const { runs: _runs, ...summary } = result;
      console.log(JSON.stringify({ engine: summary }));
    }
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
}
