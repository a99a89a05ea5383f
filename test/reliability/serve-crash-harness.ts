/**
 * Serve crash harness: real `warehouse serve` processes (API + job runner) and `warehouse work`
 * processes on one SQLite file, driven over HTTP by a few client loops and killed with SIGKILL at
 * random moments, counted in requests sent and responses received (never in wall time):
 * - `mid-request`: a serve process right after a request to it was handed to the socket;
 * - `after-201`:   a serve process the moment it answered 201 (its runner is usually reserving
 *                  that order then: mid-job, often mid-supplier-call, since the first reserve
 *                  call of every order fails and is retried);
 * - `worker`:      a `warehouse work` process (spawnWorker from crash-harness.ts) when a response
 *                  arrives; it competes with the serve runners for jobs, so it is usually mid-job.
 * Every killed process is restarted. Then everything left is killed and one
 * `warehouse work --until-idle` drains the queue (leases are 1 s, so killed claims come back).
 *
 * What the caller checks afterwards (see `verifyServeCrash`):
 * - every order that got a 201 exists and is final (`reserved` or `failed`);
 * - any order that exists is final, and settled exactly once (one OrderReserved/OrderFailed);
 * - the same Idempotency-Key never answered 201 with two different order ids;
 * - no 5xx other than 503 (database busy), and the invariants of docs/design.md §6 hold.
 * A request that got no answer may or may not have created an order; either is fine.
 *
 * Failed orders are expected, with reason `supplier_delayed` only: the mock supplier lives inside
 * each process and starts every ref's conversation at the top of its script (`delayed,ok`), so an
 * order whose three checks ran in three different processes hears `delayed` three times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { createRandom } from '../../src/app/random.js';
import { createWarehouse } from '../../src/wiring/warehouse.js';
import { BIN, checkInvariants, ROOT } from '../helpers.js';
import { CHAOS_SCRIPT, FAST, spawnWorker } from './crash-harness.js';

export interface ServeCrashOptions {
  db: string;
  /** order requests to send (retries of unanswered ones not counted) */
  orders: number;
  kills: number;
  servers: number;
  workers: number;
  /** client loops sending at once */
  clients?: number;
  seed?: number;
}

export type KillKind = 'mid-request' | 'after-201' | 'worker';

export interface RequestRecord {
  key: string;
  /** 201s (order ids) and other statuses this key got, retries included */
  created: number[];
  statuses: number[];
  /** attempts that got no HTTP answer (connection refused, reset, closed) */
  noResponse: number;
}

export interface ServeCrashStats {
  sent: number;
  answered: number;
  kills: Record<KillKind, number>;
  restarts: number;
  records: RequestRecord[];
  drainCode: number | null;
}

interface Serve {
  child: ChildProcess;
  url: string;
}

/** `warehouse serve --port 0` with the fast engine flags; resolves once it printed its URL. */
export function startServe(db: string, extra: string[] = [], globalArgs: string[] = []): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [BIN, '--db', db, '--json', ...globalArgs, 'serve', '--port', '0', '--rate-limit', '0', '--log-level', 'error', ...FAST, ...CHAOS_SCRIPT, ...extra],
    { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_API_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on('exit', (code, signal) => reject(new Error(`warehouse serve exited (${code ?? signal}) before listening: ${err}`)));
  });
}

/** HOT has stock for about a third of the orders; SUP has none, so its orders go to the supplier. */
async function seedStock(db: string, orders: number): Promise<void> {
  const w = await createWarehouse({ database: db, clock: 'real' });
  try {
    await w.inventory.set('HOT', Math.ceil(orders / 3));
  } finally {
    await w.close();
  }
}

export async function serveCrashRun(opts: ServeCrashOptions): Promise<ServeCrashStats> {
  const random = createRandom(opts.seed ?? 5);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  await seedStock(opts.db, opts.orders);
  const stats: ServeCrashStats = { sent: 0, answered: 0, kills: { 'mid-request': 0, 'after-201': 0, worker: 0 }, restarts: 0, records: [], drainCode: null };
  const totalKills = () => stats.kills['mid-request'] + stats.kills['after-201'] + stats.kills.worker;

  const serves = new Set<Serve>();
  const workers = new Set<ChildProcess>();
  const restarting = new Set<Promise<void>>();
  // resolves when a serve process is listening again (for clients that found none)
  let serveUp: () => void = () => {};
  let anyServe = Promise.resolve();

  const addServe = async () => {
    const s = await startServe(opts.db);
    serves.add(s);
    serveUp();
  };
  // a serve that cannot start again ends the run (clients waiting for one are woken to see it)
  let broken: Error | undefined;
  const restartServe = () => {
    if (serves.size === 0) anyServe = new Promise((r) => (serveUp = r));
    stats.restarts++;
    const p = addServe()
      .catch((error: unknown) => {
        broken = error as Error;
        serveUp();
      })
      .finally(() => restarting.delete(p));
    restarting.add(p);
  };
  const addWorker = () => {
    const child = spawnWorker(opts.db); // runs until killed
    child.stdout!.resume();
    child.stderr!.resume();
    workers.add(child);
  };
  const killWorker = () => {
    const victim = pick([...workers]);
    workers.delete(victim);
    victim.kill('SIGKILL');
    stats.kills.worker++;
    planNextKill();
    stats.restarts++;
    addWorker();
  };

  let nextKill: KillKind = 'mid-request';
  let killAt = 0;
  const kinds: KillKind[] = opts.workers > 0 ? ['mid-request', 'after-201', 'worker'] : ['mid-request', 'after-201'];
  const gap = Math.max(2, Math.floor(opts.orders / Math.max(1, opts.kills)));
  const planNextKill = () => {
    nextKill = pick(kinds);
    killAt = stats.sent + 1 + Math.floor(random() * gap);
  };
  planNextKill();
  const due = (kind: KillKind) => nextKill === kind && stats.sent >= killAt && totalKills() < opts.kills;
  const killServe = (s: Serve, kind: KillKind) => {
    if (!serves.delete(s)) return;
    s.child.kill('SIGKILL');
    stats.kills[kind]++;
    planNextKill();
    restartServe();
  };

  for (let i = 0; i < opts.servers; i++) await addServe();
  for (let i = 0; i < opts.workers; i++) addWorker();

  let issued = 0;
  const client = async () => {
    while (issued < opts.orders) {
      const n = issued++;
      const record: RequestRecord = { key: `serve-crash-${opts.seed ?? 5}-${n}`, created: [], statuses: [], noResponse: 0 };
      stats.records.push(record);
      const body = JSON.stringify({ sku: n % 3 === 0 ? 'SUP' : 'HOT', qty: 1 });
      // one try, and one retry with the same key if the first got no answer
      for (let attempt = 0; attempt < 2; attempt++) {
        while (serves.size === 0 && !broken) await anyServe;
        if (broken) throw broken;
        const target = pick([...serves]);
        const sending = fetch(`${target.url}/api/order`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': record.key },
          body,
          signal: AbortSignal.timeout(30_000), // a safety net against a hung socket, not a wait
        });
        stats.sent++;
        if (due('mid-request')) killServe(target, 'mid-request');
        try {
          const res = await sending;
          const text = await res.text();
          stats.answered++;
          record.statuses.push(res.status);
          if (due('worker') && workers.size > 0) killWorker();
          if (res.status === 201) {
            record.created.push((JSON.parse(text) as { id: number }).id);
            if (due('after-201')) killServe(target, 'after-201');
          }
          if (res.status !== 409) break; // 409: a dead claim on the key; the retry may find it free
        } catch {
          record.noResponse++;
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.clients ?? 4 }, client));
    await Promise.all([...restarting]);
    if (broken) throw broken;
  } finally {
    // everything still alive dies too: the drain must pick up whatever they held
    for (const s of serves) s.child.kill('SIGKILL');
    for (const w of workers) w.kill('SIGKILL');
  }
  await Promise.all([...serves].map((s) => new Promise((r) => (s.child.exitCode !== null || s.child.signalCode ? r(null) : s.child.on('exit', r)))));
  await Promise.all([...workers].map((w) => new Promise((r) => (w.exitCode !== null || w.signalCode ? r(null) : w.on('exit', r)))));

  const drain = spawnWorker(opts.db, ['--until-idle']);
  drain.stdout!.resume();
  drain.stderr!.resume();
  stats.drainCode = await new Promise((resolve) => drain.on('exit', (code) => resolve(code)));
  return stats;
}

export interface ServeCrashVerdict {
  problems: string[];
  orders: number;
  created: number;
  /** failed orders by reason */
  failed: Record<string, number>;
  unanswered: number;
}

/** The checks listed at the top of this file; `problems` is empty when all hold. */
export function verifyServeCrash(db: string, stats: ServeCrashStats): ServeCrashVerdict {
  const problems: string[] = [];
  const raw = new Database(db, { readonly: true });
  try {
    const status = new Map((raw.prepare('SELECT id, status FROM orders').all() as Array<{ id: number; status: string }>).map((r) => [r.id, r.status]));
    const created = new Set(stats.records.flatMap((r) => r.created));
    for (const id of created) {
      const s = status.get(id);
      if (s === undefined) problems.push(`order ${id} got a 201 but is not in the database`);
      else if (s !== 'reserved' && s !== 'failed') problems.push(`order ${id} got a 201 and is still ${s}`);
    }
    for (const [id, s] of status) if (s !== 'reserved' && s !== 'failed' && !created.has(id)) problems.push(`order ${id} (unanswered request) is still ${s}`);
    const twice = raw
      .prepare(`SELECT order_id AS id, COUNT(*) AS n FROM order_events WHERE type IN ('OrderReserved', 'OrderFailed') GROUP BY order_id HAVING n <> 1`)
      .all() as Array<{ id: number; n: number }>;
    for (const t of twice) problems.push(`order ${t.id} settled ${t.n} times`);
    const unsettled = [...status.keys()].filter(
      (id) => !raw.prepare(`SELECT 1 FROM order_events WHERE order_id = ? AND type IN ('OrderReserved', 'OrderFailed')`).get(id),
    );
    for (const id of unsettled) problems.push(`order ${id} has no OrderReserved/OrderFailed event`);
    for (const r of stats.records) {
      if (new Set(r.created).size > 1) problems.push(`Idempotency-Key ${r.key} answered 201 with orders ${[...new Set(r.created)].join(', ')}`);
      for (const s of r.statuses) if (s >= 500 && s !== 503) problems.push(`a ${s} for key ${r.key}`);
    }
    if (status.size > stats.sent) problems.push(`${status.size} orders stored for ${stats.sent} requests sent`);
    if (stats.drainCode !== 0) problems.push(`the drain exited ${stats.drainCode}`);
    problems.push(...checkInvariants(db));
    const failed = Object.fromEntries(
      (
        raw.prepare(`SELECT failure_reason AS reason, COUNT(*) AS n FROM orders WHERE status = 'failed' GROUP BY failure_reason`).all() as Array<{
          reason: string;
          n: number;
        }>
      ).map((r) => [r.reason, r.n]),
    );
    return { problems, orders: status.size, created: created.size, failed, unanswered: stats.records.filter((r) => r.created.length === 0).length };
  } finally {
    raw.close();
  }
}
