/**
 * SQLite's own checks at open (`npm run bench:integrity`): how long `PRAGMA quick_check` and
 * `PRAGMA integrity_check` take, and how long the engine's own open takes, on real database files
 * of about 1,000, 10,000, 100,000 and 1,000,000 orders. The figures behind the thresholds in
 * src/adapters/sqlite/open.ts (INTEGRITY_CHECK_MAX_BYTES, QUICK_CHECK_MAX_BYTES).
 *
 * Run: npx tsx bench/integrity.ts [--quick] [--json] [--orders 1000,10000,...] [--runs 3]
 * --quick: 1,000 and 10,000 orders only. --durability (passed on by `npm run bench`) is accepted
 * and ignored: the checks only read.
 *
 * The files. Each is a new file in a temp dir, created and migrated by the project's own open
 * (`openDatabase`: WAL, the real drizzle/ migrations, triggers and all), then filled by raw
 * prepared statements in transactions of 5,000 orders (synchronous=OFF for the fill only; the
 * engine's path would take hours for a million orders). The rows are what the engine writes
 * (shapes copied from a replay of scenarios/tour.yaml): each order is inserted `pending` (the
 * `orders_insert_pending` trigger refuses anything else) with its OrderCreated event and its
 * ReserveInventory job, then moved on as the runner would — its events, its movements, its
 * follow-up CheckSupplierStatus jobs — and settled: the order updated to its final status
 * (through the `orders_status_transition` trigger), its job deleted. Mix: 70 % reserved from
 * stock; 30 % through the supplier: 20.5 % reserved after 1 to 3 status checks, 4 %
 * supplier_delayed, 2 % supplier_failed, 3 % supplier_rejected, 0.5 % dead-lettered
 * (supplier_unavailable, with its dead letter), and 2 % of all orders meet one failed call before
 * the supplier accepts; the newest 0.5 % are still open (pending, or awaiting_restock with its
 * check queued). 500 stocked SKUs and 500 supplied ones; on-hand equals
 * the ledger. Then the WAL is checkpointed into the file (TRUNCATE), so the file's size is what the
 * engine's size test reads, and `auditDatabase` (`warehouse check`'s rules) is run on the smallest
 * file as a sanity check of the data.
 *
 * Measured, for each file, `--runs` times (default 3) in turn, medians reported:
 * - quick_check, integrity_check: `integrityProblems` (open.ts, as the open calls it: at most 5
 *   problems) on a freshly opened better-sqlite3 connection with default settings (its page cache
 *   is the default 2 MB, as the engine's); the schema is read first and not timed. Must say `ok`.
 * - open: the engine's own open end to end, `openBackend(parseDatabase(file), DEFAULT_SETTINGS)`
 *   (header check, pragmas, the check chosen by size, migrations read and compared, statements
 *   prepared), closed again untimed; and the same with `quickCheck: false`, so the check's share
 *   of the open shows. One untimed open comes first on each file (the process's first open also
 *   loads and compiles the engine's code).
 * The OS page cache cannot be dropped here (no root): the file was just written, so every figure is
 * a warm-cache figure. A cold cache (a server's first open after boot) reads the whole file from
 * disk for either check, and costs more. Baseline: the smallest file; each row's ratio is against it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { auditDatabase } from '../src/adapters/sqlite/audit.js';
import { INTEGRITY_CHECK_MAX_BYTES, integrityProblems, openDatabase, QUICK_CHECK_MAX_BYTES } from '../src/adapters/sqlite/open.js';
import { parseDatabase } from '../src/config.js';
import { DEFAULT_SETTINGS } from '../src/domain/settings.js';
import { createRandom } from '../src/app/random.js';
import { openBackend } from '../src/wiring/warehouse.js';

const MIB = 1024 * 1024;
const STOCKED_SKUS = 500;
const SUPPLIED_SKUS = 500;
const BATCH = 5_000;
const START = Date.UTC(2026, 0, 1);

export interface Row {
  orders: number;
  bytes: number;
  mib: number;
  /** rows written (orders, events, movements, dead letters) and how long the fill took */
  rows: number;
  fillMs: number;
  /** what the engine's open runs on a file of this size (open.ts, quickCheck 'auto') */
  atOpen: 'integrity_check' | 'quick_check' | 'none';
  quickCheckMs: number;
  integrityCheckMs: number;
  openMs: number;
  openNoCheckMs: number;
  /** against the smallest file */
  ratio: { mib: number; quickCheck: number; integrityCheck: number; open: number };
}

const round = (x: number, d = 1) => +x.toFixed(d);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** The engine's seeded generator (mulberry32), so two runs build the same files. */
const random = (seed: number): (() => number) => createRandom(seed);

// ---------------------------------------------------------------------------------------------
// the files

/** A new file of `orders` orders through the project's open and migrations, filled by raw SQL. */
export async function build(file: string, orders: number): Promise<{ rows: number; fillMs: number }> {
  const t0 = performance.now();
  const db = await openDatabase({ file, quickCheck: false });
  let rows = 0;
  try {
    db.pragma('synchronous = OFF'); // the fill only: the file is thrown away after the run
    db.pragma('cache_size = -65536');
    const insertOrder = db.prepare(`INSERT INTO orders (id, sku, qty, status, supplier_checks, created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)`);
    const settleOrder = db.prepare(`UPDATE orders SET status = ?, supplier_ref = ?, supplier_checks = ?, failure_reason = ?, updated_at = ? WHERE id = ?`);
    const insertEvent = db.prepare(`INSERT INTO order_events (order_id, at, type, data) VALUES (?, ?, ?, ?)`);
    const insertJob = db.prepare(`INSERT INTO jobs (type, order_id, payload, run_at, max_attempts, created_at, relay_due_at) VALUES (?, ?, ?, ?, 5, ?, ?)`);
    const deleteJob = db.prepare(`DELETE FROM jobs WHERE id = ?`);
    const insertMovement = db.prepare(`INSERT INTO movements (sku, type, qty, order_id, on_hand_after, at) VALUES (?, ?, ?, ?, ?, ?)`);
    const insertDeadLetter = db.prepare(
      `INSERT INTO dead_letters (job_id, type, order_id, payload, attempts, last_error, failed_at) VALUES (?, 'ReserveInventory', ?, '{}', 5, ?, ?)`,
    );
    const upsertInventory = db.prepare(
      `INSERT INTO inventory (sku, on_hand, version, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, version = excluded.version, updated_at = excluded.updated_at`,
    );

    const rnd = random(orders);
    const pick = (n: number) => Math.floor(rnd() * n);
    const stock = new Map<string, { onHand: number; version: number; at: number }>();
    const stocked = Array.from({ length: STOCKED_SKUS }, (_, i) => `SKU-${String(i + 1).padStart(5, '0')}`);
    const supplied = Array.from({ length: SUPPLIED_SKUS }, (_, i) => `SUP-${String(i + 1).padStart(5, '0')}`);
    const event = (id: number, at: number, type: string, data: object = {}) => {
      insertEvent.run(id, at, type, JSON.stringify(data));
      rows++;
    };
    const job = (type: string, id: number, payload: object, at: number) => Number(insertJob.run(type, id, JSON.stringify(payload), at, at, at).lastInsertRowid);
    const move = (sku: string, type: string, qty: number, id: number | null, at: number) => {
      const s = stock.get(sku) ?? { onHand: 0, version: 0, at };
      s.onHand += qty;
      s.version++;
      s.at = at;
      stock.set(sku, s);
      insertMovement.run(sku, type, qty, id, s.onHand, at);
      rows++;
      return s.onHand;
    };
    const settle = (id: number, status: string, ref: string | null, checks: number, reason: string | null, at: number) => {
      settleOrder.run(status, ref, checks, reason, at, id);
    };
    // the newest orders are still in flight
    const open = Math.max(4, Math.round(orders * 0.005));

    const one = (i: number) => {
      const id = i + 1;
      const created = START + i * 2_000 + pick(2_000);
      const supplier = rnd();
      const sku = supplier < 0.7 ? stocked[pick(STOCKED_SKUS)]! : supplied[pick(SUPPLIED_SKUS)]!;
      const qty = 1 + pick(5);
      insertOrder.run(id, sku, qty, created, created);
      rows++;
      event(id, created, 'OrderCreated', { sku, qty });
      const reserveJob = job('ReserveInventory', id, {}, created);
      if (i >= orders - open) {
        if (i % 2 === 0) return; // pending, its ReserveInventory job queued
        // awaiting_restock, its first status check queued
        event(id, created, 'SupplierReservationRequested', { qty, onHand: 0, shortBy: qty, attempt: 1 });
        const ref = `R.order-${id}.${sku}`;
        event(id, created, 'SupplierReservationAccepted', { ref, nextCheckAt: created + 15_000 });
        deleteJob.run(reserveJob);
        job('CheckSupplierStatus', id, { check: 1 }, created + 15_000);
        settle(id, 'awaiting_restock', ref, 0, null, created);
        return;
      }
      if (supplier < 0.7) {
        const after = move(sku, 'reservation', -qty, id, created);
        event(id, created, 'InventoryReserved', { source: 'stock', qty, onHandAfter: after });
        event(id, created, 'OrderReserved');
        deleteJob.run(reserveJob);
        settle(id, 'reserved', null, 0, null, created);
        return;
      }
      let at = created;
      const requested = (attempt: number) =>
        event(id, at, 'SupplierReservationRequested', { qty, onHand: 0, shortBy: qty, attempt, ...(attempt > 1 ? { again: true } : {}) });
      requested(1);
      const kind = rnd();
      if (kind < 0.1) {
        // rejected outright
        event(id, at, 'SupplierReservationRejected');
        event(id, at, 'OrderFailed', { reason: 'supplier_rejected' });
        deleteJob.run(reserveJob);
        settle(id, 'failed', null, 0, 'supplier_rejected', at);
        return;
      }
      if (kind < 0.117) {
        // down until the retry budget runs out: dead-lettered
        const error = 'supplier reserve answered HTTP 500';
        for (let attempt = 1; attempt < 5; attempt++) {
          const retryAt = at + 500 * 2 ** attempt + pick(500);
          event(id, at, 'SupplierCallFailed', {
            jobId: String(reserveJob),
            jobType: 'ReserveInventory',
            attempt,
            error,
            kind: 'http_error',
            owner: 'supplier',
            retryAt,
          });
          at = retryAt;
          requested(attempt + 1);
        }
        event(id, at, 'JobDeadLettered', { jobId: String(reserveJob), jobType: 'ReserveInventory', attempts: 5, error });
        event(id, at, 'OrderFailed', { reason: 'supplier_unavailable' });
        deleteJob.run(reserveJob);
        insertDeadLetter.run(reserveJob, id, error, at);
        rows++;
        settle(id, 'failed', null, 0, 'supplier_unavailable', at);
        return;
      }
      if (kind < 0.19) {
        // one failed call first (a 500 or a timeout), then accepted
        const retryAt = at + 700 + pick(1_000);
        event(id, at, 'SupplierCallFailed', {
          jobId: String(reserveJob),
          jobType: 'ReserveInventory',
          attempt: 1,
          error: 'supplier reserve answered HTTP 500',
          kind: 'http_error',
          owner: 'supplier',
          retryAt,
        });
        at = retryAt;
        requested(2);
      }
      const ref = `R.order-${id}.${sku}`;
      event(id, at, 'SupplierReservationAccepted', { ref, nextCheckAt: at + 15_000 });
      deleteJob.run(reserveJob);
      // the outcome of the checks: ok after 1 to 3, delayed three times, or fail
      const o = rnd();
      const outcome = o < 0.15 ? 'delayed' : o < 0.225 ? 'fail' : 'ok';
      const checks = outcome === 'delayed' ? 3 : outcome === 'fail' ? 1 : 1 + pick(3);
      for (let check = 1; check <= checks; check++) {
        at += 15_000;
        const checkJob = job('CheckSupplierStatus', id, { check }, at);
        const status = check < checks ? 'delayed' : outcome;
        event(id, at, 'SupplierStatusChecked', { status, check, ...(status === 'delayed' && check < 3 ? { nextCheckAt: at + 15_000 } : {}) });
        deleteJob.run(checkJob);
      }
      if (outcome === 'ok') {
        move(sku, 'restock', qty, id, at);
        const after = move(sku, 'reservation', -qty, id, at);
        event(id, at, 'InventoryReserved', { source: 'supplier', qty, onHandAfter: after });
        event(id, at, 'OrderReserved');
        settle(id, 'awaiting_restock', ref, checks, null, at);
        settle(id, 'reserved', ref, checks, null, at);
      } else {
        const reason = outcome === 'delayed' ? 'supplier_delayed' : 'supplier_failed';
        event(id, at, 'OrderFailed', { reason });
        settle(id, 'awaiting_restock', ref, checks, null, at);
        settle(id, 'failed', ref, checks, reason, at);
      }
    };

    db.transaction(() => {
      // the stocked SKUs' opening count (a stock count: an adjustment movement)
      for (const sku of stocked) move(sku, 'adjustment', 1_000_000, null, START - 60_000);
    })();
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) one(i);
    });
    for (let i = 0; i < orders; i += BATCH) batch(i, Math.min(orders, i + BATCH));
    db.transaction(() => {
      for (const [sku, s] of stock) upsertInventory.run(sku, s.onHand, s.version, s.at);
    })();
    rows += stock.size;
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { rows, fillMs: performance.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// the measurements

function timeCheck(file: string, pragma: 'integrity_check' | 'quick_check'): number {
  const db = new Database(file);
  try {
    db.pragma('schema_version'); // the schema is read here, not in the timed check
    const t0 = performance.now();
    const problems = integrityProblems(db, pragma, 5);
    const ms = performance.now() - t0;
    if (problems.length > 0) throw new Error(`${pragma} on ${file}: ${problems.join('; ')}`);
    return ms;
  } finally {
    db.close();
  }
}

async function timeOpen(file: string, quickCheck: 'auto' | false): Promise<number> {
  const t0 = performance.now();
  const backend = await openBackend(parseDatabase(file, { quickCheck }), DEFAULT_SETTINGS);
  const ms = performance.now() - t0;
  await backend.close();
  return ms;
}

const atOpen = (bytes: number): Row['atOpen'] =>
  bytes <= INTEGRITY_CHECK_MAX_BYTES ? 'integrity_check' : bytes <= QUICK_CHECK_MAX_BYTES ? 'quick_check' : 'none';

export async function runIntegrityBench(opts: { sizes: number[]; runs: number; log?: (line: string) => void }): Promise<Row[]> {
  const say = opts.log ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-integrity-'));
  const rows: Row[] = [];
  const head = [
    'orders',
    'MiB',
    'fill s',
    'quick_check ms',
    'integrity_check ms',
    'open ms',
    'open, no check ms',
    'at open',
    'ratio MiB',
    'quick',
    'integrity',
    'open',
  ];
  const widths = [9, 7, 7, 15, 19, 9, 18, 16, 10, 7, 10, 6];
  const line = (cells: Array<string | number>) => cells.map((c, i) => String(c).padStart(widths[i]!)).join(' ');
  const memory = new Database(':memory:');
  const sqliteVersion = memory.prepare('SELECT sqlite_version()').pluck().get();
  memory.close();
  say(
    `integrity: SQLite's checks and the engine's open on files of ${opts.sizes.map((n) => n.toLocaleString('en')).join(', ')} orders, ` +
      `median of ${opts.runs} runs each on a fresh connection, warm OS cache (the file was just written), ` +
      `SQLite ${sqliteVersion}, Node ${process.version}, ${cpus().length} cores`,
  );
  say(
    `  thresholds (open.ts): integrity_check up to ${INTEGRITY_CHECK_MAX_BYTES / MIB} MiB, quick_check up to ${QUICK_CHECK_MAX_BYTES / MIB} MiB, none beyond`,
  );
  say(line(head));
  try {
    for (const [n, orders] of opts.sizes.entries()) {
      const file = join(dir, `orders-${orders}.db`);
      const { rows: written, fillMs } = await build(file, orders);
      if (n === 0) {
        const db = new Database(file, { readonly: true });
        const violations = auditDatabase(db);
        db.close();
        if (violations.length > 0) throw new Error(`the generated data breaks warehouse check: ${violations[0]!.message} (${violations.length} in all)`);
      }
      const bytes = statSync(file).size;
      const quick: number[] = [];
      const full: number[] = [];
      const open: number[] = [];
      const bare: number[] = [];
      await timeOpen(file, false); // untimed: the first open in the process also loads and compiles the engine's code
      for (let r = 0; r < opts.runs; r++) {
        quick.push(timeCheck(file, 'quick_check'));
        full.push(timeCheck(file, 'integrity_check'));
        open.push(await timeOpen(file, 'auto'));
        bare.push(await timeOpen(file, false));
      }
      const base = rows[0];
      const row: Row = {
        orders,
        bytes,
        mib: round(bytes / MIB, 2),
        rows: written,
        fillMs: Math.round(fillMs),
        atOpen: atOpen(bytes),
        quickCheckMs: round(median(quick)),
        integrityCheckMs: round(median(full)),
        openMs: round(median(open)),
        openNoCheckMs: round(median(bare)),
        ratio: { mib: 1, quickCheck: 1, integrityCheck: 1, open: 1 },
      };
      if (base) {
        row.ratio = {
          mib: round(row.bytes / base.bytes),
          quickCheck: round(row.quickCheckMs / base.quickCheckMs),
          integrityCheck: round(row.integrityCheckMs / base.integrityCheckMs),
          open: round(row.openMs / base.openMs),
        };
      }
      rows.push(row);
      say(
        line([
          orders.toLocaleString('en'),
          row.mib,
          round(fillMs / 1000),
          row.quickCheckMs,
          row.integrityCheckMs,
          row.openMs,
          row.openNoCheckMs,
          row.atOpen,
          base ? row.ratio.mib : 'baseline',
          base ? row.ratio.quickCheck : '',
          base ? row.ratio.integrityCheck : '',
          base ? row.ratio.open : '',
        ]),
      );
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const per = rows.at(-1)!;
  say(
    `  ${Math.round(per.bytes / per.orders)} bytes per order; per MiB: quick_check ${round(per.quickCheckMs / per.mib, 2)} ms, ` +
      `integrity_check ${round(per.integrityCheckMs / per.mib, 2)} ms (largest file); open = openBackend end to end, the check chosen by size included; ` +
      `ratios against the ${rows[0]!.orders.toLocaleString('en')}-order file`,
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------
// run alone

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      orders: { type: 'string' },
      runs: { type: 'string' },
      durability: { type: 'string' },
    },
  });
  const sizes = (values.orders ?? (values.quick ? '1000,10000' : '1000,10000,100000,1000000')).split(',').map((s) => Number(s.trim()));
  for (const n of sizes)
    if (!Number.isInteger(n) || n < 10) throw new Error(`--orders needs whole numbers of at least 10, got ${JSON.stringify(values.orders)}`);
  const runs = Number(values.runs ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive whole number, got ${JSON.stringify(values.runs)}`);
  const started = performance.now();
  const rows = await runIntegrityBench({ sizes, runs });
  const seconds = round((performance.now() - started) / 1000);
  console.log(`  ${seconds} s`);
  if (values.json) {
    console.log(
      JSON.stringify({
        integrity: { runs, seconds, integrityCheckMaxBytes: INTEGRITY_CHECK_MAX_BYTES, quickCheckMaxBytes: QUICK_CHECK_MAX_BYTES, rows },
      }),
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
}
