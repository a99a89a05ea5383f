/**
 * The engine's own faults under load, at any size: `serve` and `work` processes on one SQLite file
 * with the supplier service on a disk of its own, orders arriving over HTTP, and the fault applied
 * meanwhile — another process holding the write lock (`locks` times), or the disk filling up and
 * being freed (`fills` times, a tmpfs: root only). Used by test/faults/*.test.ts (small) and by
 * `npm run soak` (large). Returns what happened; the caller asserts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import PQueue from 'p-queue';
import { checkInvariants, runCli, tempDir } from '../helpers.js';
import { eventLoopLagMaxMs, holdWriteLock, post, spawnCli, supplierService, untilAllFinal, type OrderJson } from './support.js';

/** clients sending orders at once */
const CLIENTS = 16;

const FAST = ['--check-delay', '500ms', '--backoff-base', '100ms', '--backoff-cap', '500ms', '--lease', '3s'];

export interface FaultRun {
  orders: number;
  /** orders not reserved, as "id status reason" (every order could be reserved: stock or supplier ok) */
  notReserved: string[];
  /** supplier replies counted as timeouts (the process stuck) */
  timeouts: number;
  /** the slowest /healthz or read answered during the fault, ms */
  slowestProbeMs: number;
  /** the event loop's worst delay while a fault lasted, ms (serve's /metrics, read around each fault) */
  lagMaxMs: number;
  /** the same before the first fault (from the warm-up orders to the fault's start): the run's baseline, ms */
  baselineLagMs: number;
  /** write requests refused (503/507) while the fault lasted, then retried by the client */
  refused: number;
  violations: string[];
  /** serve and work exited 0 on SIGTERM afterwards */
  cleanExit: boolean;
  wallMs: number;
}

export interface FaultRunOptions {
  orders: number;
  /** how the fault is applied between order batches */
  fault: { kind: 'lock'; times: number; holdMs: number } | { kind: 'disk-full'; times: number; holdMs: number };
  /** database file (on the small disk for disk-full) */
  db: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A small tmpfs of its own (2 MiB unless told), mounted (root only); null when it cannot be. It must
 * hold the database's WAL between checkpoints (up to about 4 MiB under load) for the disk to fill
 * only when `fill` fills it: runs of hundreds of orders need more than 2 MiB.
 */
export function mountSmallDisk(sizeMiB = 2): { dir: string; fill(db: string): void; free(): void; release(): void } | null {
  if (process.getuid?.() !== 0) return null;
  const dir = join(tempDir(), 'disk');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir]);
  } catch {
    return null;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill(db) {
      // the WAL is reused in place after a checkpoint: truncate it so the next write must grow the file
      const c = new Database(db);
      c.pragma('wal_checkpoint(TRUNCATE)');
      c.close();
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeFileSync(filler, chunk, { flag: 'a' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    },
    free: () => rmSync(filler, { force: true }),
    release: () => execFileSync('umount', ['-l', dir]),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function faultRun(opts: FaultRunOptions, disk?: ReturnType<typeof mountSmallDisk>): Promise<FaultRun> {
  const started = performance.now();
  const supplierUrl = await supplierService(tempDir()); // the supplier's disk and lock are not the engine's
  const cli = await runCli(['--db', opts.db, 'inventory', 'set', 'LOCAL', String(opts.orders)], { env: opts.env });
  if (cli.code !== 0) throw new Error(`inventory set failed: ${cli.stderr}`);
  const engine = ['--db', opts.db, '--supplier-url', supplierUrl];
  const serve = spawnCli([...engine, 'serve', '--port', '0', '--rate-limit', '0', ...FAST], opts.env);
  const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
  const work = spawnCli([...engine, 'work', ...FAST], opts.env);
  await work.waitFor(/Ctrl-C to stop/);

  let refused = 0;
  // CLIENTS clients send the orders, each one request at a time: the load of many users, not one
  // burst of hundreds of connections opened in the same millisecond (which holds any one-threaded
  // server's loop for its parsing alone, fault or not)
  const clients = new PQueue({ concurrency: CLIENTS });
  /** a client that retries while the server says the database is unwell (503/507), as Retry-After asks */
  const order = (i: number) => clients.add(() => sendOrder(i));
  const sendOrder = async (i: number) => {
    for (;;) {
      const r = await post(api!, '/api/orders', { sku: i % 2 ? 'LOCAL' : 'SUPPLIED', qty: 1 }).catch((error: unknown) => {
        const exited = serve.child.exitCode ?? serve.child.signalCode;
        throw new Error(`serve did not answer (${String(error)}); exit ${exited}; its stderr ends: ${serve.err().slice(-2000)}`);
      });
      if (r.status !== 503 && r.status !== 507) return r;
      refused++;
      await sleep(250);
    }
  };

  // warm-up: two orders (one from stock, one through the supplier) run to the end before any fault,
  // so the first window measures the fault and not this process's first request of each kind
  // (cold code paths, first prepared statements, first supplier connection)
  for (const r of await Promise.all([order(0), order(1)])) if (r.status !== 201) throw new Error(`a warm-up order was refused: ${r.status}`);
  await untilAllFinal(api!, 30_000);
  const batches = opts.fault.times + 1;
  const perBatch = Math.ceil((opts.orders - 2) / batches);
  let sent = 2;
  let slowest = 0;
  let lagMaxMs = 0;
  let baselineLagMs = -1;
  for (let b = 0; b < batches; b++) {
    const writes = Array.from({ length: Math.min(perBatch, opts.orders - sent) }, (_, i) => order(sent + i));
    sent += writes.length;
    if (b < opts.fault.times) {
      // the fault, while this batch's orders arrive and run; health and reads must answer at once
      const before = await eventLoopLagMaxMs(api!); // ends the window before and starts the fault's
      if (baselineLagMs < 0) baselineLagMs = before;
      let over = false;
      let end: Promise<void>;
      if (opts.fault.kind === 'lock') end = (await holdWriteLock(opts.db, opts.fault.holdMs)).released;
      else {
        disk!.fill(opts.db);
        end = sleep(opts.fault.holdMs).then(() => disk!.free());
      }
      void end.then(() => (over = true));
      while (!over) {
        const t0 = performance.now();
        await fetch(`${api}/healthz`);
        await fetch(`${api}/api/orders/1`);
        slowest = Math.max(slowest, performance.now() - t0);
        await sleep(100); // sampling interval
      }
      lagMaxMs = Math.max(lagMaxMs, await eventLoopLagMaxMs(api!));
    }
    for (const r of await Promise.all(writes)) if (r.status !== 201) throw new Error(`an order was refused for good: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const orders = await untilAllFinal(api!, 60_000 + opts.orders * 20);
  serve.child.kill('SIGTERM');
  work.child.kill('SIGTERM');
  const exits = [await serve.exited, await work.exited];
  return {
    orders: orders.length,
    notReserved: orders.filter((o) => o.status !== 'reserved').map((o) => `${o.id} ${o.status} ${o.failureReason}`),
    timeouts: orders.flatMap((o: OrderJson) => (o.events ?? []).filter((e) => e.type === 'SupplierCallFailed' && e.data.kind === 'timeout')).length,
    slowestProbeMs: slowest,
    lagMaxMs,
    baselineLagMs: Math.max(0, baselineLagMs),
    refused,
    violations: checkInvariants(opts.db),
    cleanExit: exits.every((e) => e.code === 0),
    wallMs: performance.now() - started,
  };
}
