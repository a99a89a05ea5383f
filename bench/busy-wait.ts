/**
 * Keeping the event loop free while another process holds SQLite's write lock: the project's way
 * (async retry on the main thread, src/adapters/sqlite/connection.ts) against the other way (the
 * database on a worker thread, SQLite's own busy wait inside it). The figures behind the choice
 * (docs/architecture.md, "The database's own faults").
 *
 * Run: npm run bench:busy-wait [-- --quick] [--json] [--durability full|normal] [--writes N] [--rounds R]
 *      (`--durability` runs that one only; default both, FULL then NORMAL)
 *
 * Baseline: "async retry on the main thread". `openConnection` on a new WAL file (the engine's
 * migrations, pragmas and busy_timeout 0, busyTimeoutMs 5 s), each write `connection.write(fn)`:
 * one IMMEDIATE transaction run synchronously on the main thread; a write that meets the lock
 * fails at once and is retried after an asynchronous pause (1 ms growing to 50 ms), later writes
 * queue behind it. Probe reads: `connection.read` on the same connection.
 *
 * Subject: "the database on a worker thread". A `node:worker_threads` Worker (plain JS, inline)
 * opens a file prepared the same way with better-sqlite3 (WAL, the same synchronous level,
 * busy_timeout 5 s: SQLite sleeps inside the worker) and runs one message at a time, answering
 * each with postMessage. Probe reads are messages too, to the same worker and connection.
 *
 * The write, the same in both: one IMMEDIATE transaction inserting one row (a 200-byte text) into
 * the bench's own table and bumping a counter row: about an order insert.
 *
 * Scenarios, per durability (FULL, the engine's default, and NORMAL), baseline and worker in turn
 * on their own fresh files in a temp dir:
 *   1. sequential: N writes (default 2,000; --quick 300) awaited one after another, after 50
 *      unmeasured: writes/s, mean and p99 µs per write, and the event-loop lag max meanwhile;
 *   2. burst: 200 writes issued at once (Promise.all), no contention: wall time, event-loop lag max
 *      (`monitorEventLoopDelay`, resolution 1 ms, reset before, read after; the figure includes the
 *      1 ms sampling interval, so an idle loop reads about 1.1 ms);
 *   3. another process holds the lock: a child `node -e` takes `BEGIN IMMEDIATE` on the file,
 *      bumps the counter and holds the lock 2 s (--quick 1 s) before COMMIT. While it holds, 100
 *      writes (--quick 50) are issued and a probe runs every 20 ms on the main thread: a setTimeout
 *      that measures how late it fired, then a trivial read (the baseline's connection / a message
 *      to the worker). Reported: event-loop lag max from the lock taken to the last write done; the
 *      slowest probe (from when it was due to its read's answer), separately for probes due while
 *      the lock was held and after its release; the time from the release (the child's clock
 *      right after COMMIT) to the first and to the last write done.
 *
 * Each round (default 3; --quick 1) runs every scenario on fresh files, the baseline and the worker
 * taking turns to go first; the tables show the medians of the rounds, and each ratio (worker/baseline)
 * is the median of the rounds' ratios (a round's two runs share the disk's and the CPU's mood; on a
 * shared machine those drift a lot over a minute). The figures never fail the run; a crash or a write that errors does
 * (exit code 1). Not part of `npm run bench`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openConnection } from '../src/adapters/sqlite/connection.js';
import type { Durability } from '../src/adapters/sqlite/open.js';

const BUSY_TIMEOUT_MS = 5_000;
const PROBE_EVERY_MS = 20;
const BURST = 200;
const WARMUP = 50;
const PAYLOAD = 'x'.repeat(200);
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

export interface BusyWaitOptions {
  quick?: boolean;
  /** sequential writes (default 2,000; quick 300) */
  writes?: number;
  /** default both */
  durabilities?: Durability[];
  /** rounds of every scenario on fresh files, baseline and worker taking turns to go first; medians reported (default 3; quick 1) */
  rounds?: number;
  /** print the tables (default true) */
  log?: boolean;
}

/** What both ways offer the bench. */
interface Way {
  write(v: string): Promise<number>;
  read(): Promise<number>;
  close(): Promise<void>;
}

const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (x: number, digits = 2) => +x.toFixed(digits);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------
// the file, and the two ways in

const BENCH_TABLES = `
  CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
  CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
  INSERT INTO counter (id, n) VALUES (1, 0);`;
const INSERT_SQL = 'INSERT INTO t (v) VALUES (?)';
const BUMP_SQL = 'UPDATE counter SET n = n + 1 WHERE id = 1 RETURNING n';
const READ_SQL = 'SELECT n FROM counter WHERE id = 1';

/** A new file as the engine makes it (migrations, WAL, pragmas), plus the bench's two tables. */
async function prepareFile(file: string, durability: Durability): Promise<void> {
  const connection = await openConnection({ file, durability, busyTimeoutMs: BUSY_TIMEOUT_MS });
  try {
    connection.raw.exec(BENCH_TABLES);
  } finally {
    connection.close();
  }
}

async function openBaseline(file: string, durability: Durability): Promise<Way> {
  const connection = await openConnection({ file, durability, busyTimeoutMs: BUSY_TIMEOUT_MS });
  const insert = connection.raw.prepare(INSERT_SQL);
  const bump = connection.raw.prepare(BUMP_SQL);
  const select = connection.raw.prepare(READ_SQL);
  return {
    write: (v) =>
      connection.write(() => {
        insert.run(v);
        return (bump.get() as { n: number }).n;
      }),
    read: () => connection.read(() => (select.get() as { n: number }).n),
    close: async () => connection.close(),
  };
}

/** The worker, plain JS (tsx does not reach worker threads): one connection, one message at a time. */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.lib);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
const insert = db.prepare(${JSON.stringify(INSERT_SQL)});
const bump = db.prepare(${JSON.stringify(BUMP_SQL)});
const select = db.prepare(${JSON.stringify(READ_SQL)});
const write = db.transaction((v) => {
  insert.run(v);
  return bump.get().n;
});
parentPort.on('message', (m) => {
  try {
    let value = null;
    if (m.op === 'write') value = write.immediate(m.v);
    else if (m.op === 'read') value = select.get().n;
    else if (m.op === 'close') db.close();
    parentPort.postMessage({ id: m.id, ok: true, value });
  } catch (error) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((error && error.stack) || error) });
  }
});
parentPort.postMessage({ ready: true });
`;

async function openWorker(file: string, durability: Durability): Promise<Way> {
  const worker = new Worker(WORKER_CODE, {
    eval: true,
    workerData: { lib: BETTER_SQLITE3, file, busyTimeoutMs: BUSY_TIMEOUT_MS, synchronous: durability === 'normal' ? 'NORMAL' : 'FULL' },
  });
  const pending = new Map<number, { resolve: (v: number) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { ready?: true; id: number; ok: boolean; value: number; error?: string }) => {
      if (m.ready) return resolve();
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(`worker: ${m.error}`));
    });
    worker.on('error', (error) => {
      fail(error);
      reject(error);
    });
    worker.on('exit', (code) => fail(new Error(`worker exited ${code}`)));
  });
  const call = (message: { op: 'write' | 'read' | 'close'; v?: string }) =>
    new Promise<number>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  return {
    write: (v) => call({ op: 'write', v }),
    read: () => call({ op: 'read' }),
    close: async () => {
      await call({ op: 'close' });
      await worker.terminate();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// scenarios

interface Sequential {
  writes: number;
  wallMs: number;
  perSec: number;
  meanUs: number;
  p99Us: number;
  lagMaxMs: number;
}

interface Burst {
  writes: number;
  wallMs: number;
  perSec: number;
  lagMaxMs: number;
}

interface Locked {
  holdMs: number;
  writes: number;
  lagMaxMs: number;
  probes: number;
  /** probes due while the lock was held: due → read answered */
  slowestProbeHoldMs: number;
  /** probes due after the release */
  slowestProbeAfterMs: number;
  /** how late the probes' timers fired, at most */
  probeTimerLateMaxMs: number;
  releaseToFirstWriteMs: number;
  releaseToLastWriteMs: number;
  /** writes answered before the release: 0 unless the lock was not held */
  doneBeforeRelease: number;
}

const lagMax = (h: IntervalHistogram) => round(h.max / 1e6, 1);

/**
 * Resets the histogram, then lets its timer tick once: the first interval after a reset is not
 * recorded, so a block that starts right after reset() would go unseen.
 */
async function resetLag(h: IntervalHistogram): Promise<void> {
  await sleep(5);
  h.reset();
  await sleep(3);
}

async function sequential(way: Way, n: number, h: IntervalHistogram): Promise<Sequential> {
  for (let i = 0; i < WARMUP; i++) await way.write(PAYLOAD);
  const latencies = new Array<number>(n);
  await resetLag(h);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await way.write(PAYLOAD);
    latencies[i] = performance.now() - s;
  }
  const wallMs = performance.now() - t0;
  await sleep(5); // lets the histogram's timer record a block that just ended
  latencies.sort((a, b) => a - b);
  return {
    writes: n,
    wallMs: round(wallMs, 1),
    perSec: Math.round((n / wallMs) * 1000),
    meanUs: Math.round((wallMs / n) * 1000),
    p99Us: Math.round(percentile(latencies, 99) * 1000),
    lagMaxMs: lagMax(h),
  };
}

async function burst(way: Way, h: IntervalHistogram): Promise<Burst> {
  await resetLag(h);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: BURST }, () => way.write(PAYLOAD)));
  const wallMs = performance.now() - t0;
  await sleep(5);
  return { writes: BURST, wallMs: round(wallMs, 1), perSec: Math.round((BURST / wallMs) * 1000), lagMaxMs: lagMax(h) };
}

/** The child that holds the lock: prints `locked <ms>`, then `released <ms>` (absolute, its clock) right after COMMIT. */
const HOLDER_CODE = `
const Database = require(process.env.BENCH_LIB);
const db = new Database(process.env.BENCH_FILE, { timeout: 5000 });
db.pragma('synchronous = ' + process.env.BENCH_SYNC);
db.exec('BEGIN IMMEDIATE');
db.prepare('UPDATE counter SET n = n + 1 WHERE id = 1').run();
const now = () => performance.timeOrigin + performance.now();
console.log('locked ' + now());
setTimeout(() => {
  db.exec('COMMIT');
  const released = now();
  db.close();
  console.log('released ' + released);
}, Number(process.env.BENCH_HOLD_MS));
`;

function holdLock(
  file: string,
  durability: Durability,
  holdMs: number,
): { child: ChildProcess; locked: Promise<number>; released: Promise<number>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['-e', HOLDER_CODE], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BENCH_LIB: BETTER_SQLITE3,
      BENCH_FILE: file,
      BENCH_SYNC: durability === 'normal' ? 'NORMAL' : 'FULL',
      BENCH_HOLD_MS: String(holdMs),
    },
  });
  let stderr = '';
  let out = '';
  const waiters = new Map<string, (t: number) => void>();
  const seen = new Map<string, number>();
  const wait = (word: string) =>
    new Promise<number>((resolve) => {
      const t = seen.get(word);
      if (t !== undefined) resolve(t);
      else waiters.set(word, resolve);
    });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) {
      const [word, at] = line.trim().split(' ');
      if (!word || at === undefined) continue;
      seen.set(word, Number(at));
      waiters.get(word)?.(Number(at));
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    // 'close', not 'exit': its output has been read by then
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`lock holder exited ${code ?? signal}: ${stderr.trim()}`))));
  });
  // a holder that dies before saying so must not leave the bench waiting
  const orExit = (p: Promise<number>) =>
    Promise.race([p, exited.then(() => Promise.race([p, sleep(100).then(() => Promise.reject(new Error('lock holder exited without reporting')))]))]);
  const held = { child, locked: orExit(wait('locked')), released: orExit(wait('released')), exited };
  // awaited by the caller when it gets that far; a failure before then must not be an unhandled rejection
  for (const p of [held.locked, held.released, held.exited]) p.catch(() => {});
  return held;
}

async function locked(way: Way, file: string, durability: Durability, holdMs: number, writes: number, h: IntervalHistogram): Promise<Locked> {
  const holder = holdLock(file, durability, holdMs);
  try {
    await holder.locked;
    await resetLag(h);

    // the probe: every PROBE_EVERY_MS, how late its timer fired, then a trivial read
    const probes: Array<{ due: number; lateMs: number; totalMs: number }> = [];
    const reads: Promise<unknown>[] = [];
    let probing = true;
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      const due = clock() + PROBE_EVERY_MS;
      timer = setTimeout(() => {
        const fired = clock();
        reads.push(way.read().then((): void => void probes.push({ due, lateMs: fired - due, totalMs: clock() - due })));
        if (probing) schedule();
      }, PROBE_EVERY_MS);
    };
    schedule();

    const done: number[] = [];
    await Promise.all(Array.from({ length: writes }, () => way.write(PAYLOAD).then((): void => void done.push(clock()))));
    const released = await holder.released;
    probing = false;
    clearTimeout(timer);
    await Promise.all(reads);
    await sleep(5);
    const lagMaxMs = lagMax(h);
    await holder.exited;

    const hold = probes.filter((p) => p.due < released);
    const after = probes.filter((p) => p.due >= released);
    const maxOf = (xs: number[]) => (xs.length > 0 ? round(Math.max(...xs), 1) : NaN);
    return {
      holdMs,
      writes,
      lagMaxMs,
      probes: probes.length,
      slowestProbeHoldMs: maxOf(hold.map((p) => p.totalMs)),
      slowestProbeAfterMs: maxOf(after.map((p) => p.totalMs)),
      probeTimerLateMaxMs: maxOf(probes.map((p) => p.lateMs)),
      releaseToFirstWriteMs: round(Math.min(...done) - released, 1),
      releaseToLastWriteMs: round(Math.max(...done) - released, 1),
      doneBeforeRelease: done.filter((t) => t < released).length,
    };
  } finally {
    if (holder.child.exitCode === null && holder.child.signalCode === null) holder.child.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// the run

type Figures = Record<string, number>;

interface Pair<T> {
  /** medians over the rounds, figure by figure */
  baseline: T;
  worker: T;
  /** worker/baseline, figure by figure: the median of each round's ratio */
  ratio: Record<keyof T, number>;
  rounds: Array<{ baseline: T; worker: T }>;
}

export interface DurabilityResult {
  durability: Durability;
  sequential: Pair<Sequential>;
  burst: Pair<Burst>;
  locked: Pair<Locked>;
}

export interface BusyWaitResult {
  quick: boolean;
  rounds: number;
  busyTimeoutMs: number;
  fsyncMs: number;
  loadavg: number[];
  results: DurabilityResult[];
}

/** Median fsync of a 4 KiB append in `dir`: the floor of a FULL commit. */
function probeFsync(dir: string, n = 50): number {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const samples: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      writeSync(fd, block);
      const t0 = performance.now();
      fsyncSync(fd);
      samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  samples.sort((a, b) => a - b);
  return round(percentile(samples, 50), 3);
}

function median(xs: number[]): number {
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
}

/** Medians figure by figure; ratios as the median of each round's worker/baseline (a round's two run back to back). */
function pair<T extends object>(rounds: Array<{ baseline: T; worker: T }>): Pair<T> {
  const keys = Object.keys(rounds[0]!.baseline) as Array<keyof T & string>;
  const at = (f: T, k: keyof T) => (f as Figures)[k as string]!;
  const of = (side: 'baseline' | 'worker') => Object.fromEntries(keys.map((k) => [k, round(median(rounds.map((r) => at(r[side], k))), 1)])) as T;
  const ratio = Object.fromEntries(keys.map((k) => [k, round(median(rounds.map((r) => ratioOf(at(r.worker, k), at(r.baseline, k)))))])) as Record<
    keyof T,
    number
  >;
  return { baseline: of('baseline'), worker: of('worker'), ratio, rounds };
}

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const ratioOf = (worker: number, baseline: number) => (baseline > 0 && Number.isFinite(worker) ? worker / baseline : NaN);
const times = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '-');

function table<T extends object>(title: string, p: Pair<T>, rows: Array<[string, keyof T & string, number?]>): string[] {
  const head = ['', 'baseline', 'worker', 'worker/baseline'];
  const at = (f: T, k: string) => (f as Figures)[k]!;
  const cells = rows.map(([label, key, digits = 0]) => [label, fmt(at(p.baseline, key), digits), fmt(at(p.worker, key), digits), times(p.ratio[key])]);
  const all = [head, ...cells];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return [title, ...all.map((r) => '    ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '))];
}

export async function runBusyWaitBench(opts: BusyWaitOptions = {}): Promise<BusyWaitResult> {
  const quick = opts.quick ?? false;
  const n = opts.writes ?? (quick ? 300 : 2_000);
  const rounds = opts.rounds ?? (quick ? 1 : 3);
  const holdMs = quick ? 1_000 : 2_000;
  const lockedWrites = quick ? 50 : 100;
  const durabilities = opts.durabilities ?? ['full', 'normal'];
  const log = opts.log ?? true;
  const say = (line: string) => {
    if (log) console.log(line);
  };

  const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-busy-wait-'));
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const results: DurabilityResult[] = [];
  const load = loadavg().map((x) => round(x));
  let fsyncMs = NaN;
  try {
    fsyncMs = probeFsync(dir);
    say(
      `busy-wait (baseline: async retry on the main thread, busy_timeout 0; worker: the database on a worker thread, busy_timeout ${BUSY_TIMEOUT_MS} ms; ` +
        `WAL, ${rounds} round${rounds === 1 ? '' : 's'}, medians; fsync ${fsyncMs} ms, Node ${process.version}, ${cpus().length} cores, load average ${load.join(' ')})`,
    );
    for (const durability of durabilities) {
      const seq: Array<{ baseline: Sequential; worker: Sequential }> = [];
      const bur: Array<{ baseline: Burst; worker: Burst }> = [];
      const loc: Array<{ baseline: Locked; worker: Locked }> = [];
      for (let r = 0; r < rounds; r++) {
        // fresh files each round; the two ways take turns going first
        const baselineFile = join(dir, `baseline-${durability}-${r}.db`);
        const workerFile = join(dir, `worker-${durability}-${r}.db`);
        await prepareFile(baselineFile, durability);
        await prepareFile(workerFile, durability);
        const baseline = await openBaseline(baselineFile, durability);
        const worker = await openWorker(workerFile, durability);
        const workerFirst = r % 2 === 1;
        async function both<T>(run: (way: Way, file: string) => Promise<T>): Promise<{ baseline: T; worker: T }> {
          if (workerFirst) {
            const w = await run(worker, workerFile);
            return { worker: w, baseline: await run(baseline, baselineFile) };
          }
          const b = await run(baseline, baselineFile);
          return { baseline: b, worker: await run(worker, workerFile) };
        }
        try {
          const s = await both((way) => sequential(way, n, h));
          const b = await both((way) => burst(way, h));
          const l = await both((way, file) => locked(way, file, durability, holdMs, lockedWrites, h));
          seq.push(s);
          bur.push(b);
          loc.push(l);
          if (rounds > 1)
            say(
              `  ${durability} round ${r + 1}${workerFirst ? ' (worker first)' : ''}: sequential ${s.baseline.perSec}/${s.worker.perSec} writes/s, ` +
                `burst lag max ${b.baseline.lagMaxMs}/${b.worker.lagMaxMs} ms, locked: lag max ${l.baseline.lagMaxMs}/${l.worker.lagMaxMs} ms, ` +
                `slowest probe ${l.baseline.slowestProbeHoldMs}/${l.worker.slowestProbeHoldMs} ms (baseline/worker)`,
            );
        } finally {
          await baseline.close();
          await worker.close();
        }
      }
      const ps = pair(seq);
      const pb = pair(bur);
      const pl = pair(loc);
      say(`\n  durability ${durability} (synchronous=${durability.toUpperCase()})`);
      for (const line of table(`  1. sequential: ${n} writes awaited one after another (after ${WARMUP} unmeasured)`, ps, [
        ['writes/s', 'perSec'],
        ['µs per write, mean', 'meanUs'],
        ['µs per write, p99', 'p99Us'],
        ['event-loop lag max, ms', 'lagMaxMs', 1],
      ]))
        say(line);
      say(`    worker/baseline writes/s ${times(ps.ratio.perSec)}`);
      for (const line of table(`  2. burst: ${BURST} writes issued at once (Promise.all), no contention`, pb, [
        ['wall ms', 'wallMs', 1],
        ['writes/s', 'perSec'],
        ['event-loop lag max, ms', 'lagMaxMs', 1],
      ]))
        say(line);
      say(`    worker/baseline wall ${times(pb.ratio.wallMs)}, event-loop lag max ${times(pb.ratio.lagMaxMs)}`);
      for (const line of table(
        `  3. another process holds the lock ${holdMs} ms; ${lockedWrites} writes issued meanwhile, a probe (timer + read) every ${PROBE_EVERY_MS} ms`,
        pl,
        [
          ['event-loop lag max, ms (lock taken → last write)', 'lagMaxMs', 1],
          ['slowest probe while held, ms (due → read answered)', 'slowestProbeHoldMs', 1],
          ['slowest probe after release, ms', 'slowestProbeAfterMs', 1],
          ['probe timer late max, ms', 'probeTimerLateMaxMs', 1],
          ['probes', 'probes'],
          ['release → first write done, ms', 'releaseToFirstWriteMs', 1],
          ['release → last write done, ms', 'releaseToLastWriteMs', 1],
        ],
      ))
        say(line);
      const early = loc.reduce((sum, l) => sum + l.baseline.doneBeforeRelease + l.worker.doneBeforeRelease, 0);
      if (early > 0) say(`    note: ${early} writes answered before the release (was the lock held?)`);
      say(
        `    worker/baseline lag max ${times(pl.ratio.lagMaxMs)}, slowest probe while held ${times(pl.ratio.slowestProbeHoldMs)}, ` +
          `release → last write ${times(pl.ratio.releaseToLastWriteMs)}`,
      );
      results.push({ durability, sequential: ps, burst: pb, locked: pl });
    }
  } finally {
    h.disable();
    rmSync(dir, { recursive: true, force: true });
  }
  return { quick, rounds, busyTimeoutMs: BUSY_TIMEOUT_MS, fsyncMs, loadavg: load, results };
}

// ---------------------------------------------------------------------------------------------
// run alone

function parseArgs(argv: string[]): BusyWaitOptions & { json: boolean } {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => {
    const v = value(name);
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isInteger(x) || x <= 0) throw new Error(`${name} needs a positive whole number, got ${JSON.stringify(v)}`);
    return x;
  };
  const writes = num('--writes');
  const rounds = num('--rounds');
  const durability = value('--durability');
  if (durability !== undefined && durability !== 'full' && durability !== 'normal')
    throw new Error(`--durability is full or normal, got ${JSON.stringify(durability)}`);
  return {
    quick: argv.includes('--quick'),
    json: argv.includes('--json'),
    ...(writes !== undefined ? { writes } : {}),
    ...(rounds !== undefined ? { rounds } : {}),
    ...(durability !== undefined ? { durabilities: [durability] } : {}),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { json, ...opts } = parseArgs(process.argv.slice(2));
    const result = await runBusyWaitBench(opts);
    if (json) console.log(JSON.stringify({ 'busy-wait': result }));
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
}
