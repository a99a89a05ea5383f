/**
 * `npm run soak`: the reliability suite at large sizes. For each fault class it prints what was
 * tried and whether anything was lost or duplicated. Exit 1 if any class found a problem.
 *
 *   npm run soak [-- --orders 5000 --kills 50 --workers 3 --servers 3 --runs 300 --fuzz 20000]
 *   npm run soak -- --only own-faults,crash      (stages: fuzz, own-faults, crash, serve-crash, model, matrix)
 *   npm run soak -- --only matrix [--databases sqlite,pg,pg-redis]   (the fault matrix of issue 18: its table is printed)
 */
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { checkInvariants, tempDb } from '../test/helpers.js';
import { crashRun, seedOrders } from '../test/reliability/crash-harness.js';
import { faultRun, mountSmallDisk } from '../test/faults/harness.js';
import { faultBoundMs } from '../test/faults/support.js';
import { join } from 'node:path';
import { tempDir } from '../test/helpers.js';
import { httpFuzzProperty, startFuzzTarget } from '../test/reliability/http-fuzz.js';
import { serveCrashRun, verifyServeCrash } from '../test/reliability/serve-crash-harness.js';
import { renderTable, runMatrix } from '../test/matrix/matrix.js';
import { TOPOLOGIES, topologyName } from '../test/matrix/topology.js';
import { chaosProblems, differences, op, replay, SCHEDULED_RESERVE, SCHEDULED_STATUS, schedulerDriver, scripts } from '../test/reliability/model.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const ORDERS = arg('orders', 5_000);
const KILLS = arg('kills', 50);
const WORKERS = arg('workers', 3);
const RUNS = arg('runs', 300);
const SERVERS = arg('servers', 3);
const FUZZ = arg('fuzz', 20_000);

// interrupted: exit, so that the 'exit' handlers stop the private servers and remove the temp files
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const results: Array<{ fault: string; tried: string; ok: boolean; detail: string }> = [];
const t0 = performance.now();

async function crash() {
  const db = tempDb();
  const started = performance.now();
  const ids = await seedOrders(db, ORDERS);
  const stats = await crashRun({ db, orders: ids.length, workers: WORKERS, kills: KILLS, seed: 2026 });
  const raw = new Database(db, { readonly: true });
  const count = (sql: string) => (raw.prepare(sql).get() as { n: number }).n;
  const stored = count('SELECT COUNT(*) AS n FROM orders');
  const open = count(`SELECT COUNT(*) AS n FROM orders WHERE status NOT IN ('reserved', 'failed')`);
  const twice = count(
    `SELECT COUNT(*) AS n FROM (SELECT order_id FROM order_events WHERE type IN ('OrderReserved','OrderFailed') GROUP BY order_id HAVING COUNT(*) <> 1)`,
  );
  const failed = count(`SELECT COUNT(*) AS n FROM orders WHERE status = 'failed'`);
  raw.close();
  const violations = checkInvariants(db);
  const ok = stored === ORDERS && open === 0 && twice === 0 && violations.length === 0 && stats.drainCode === 0;
  results.push({
    fault: 'kill -9 of worker processes',
    tried: `${ORDERS} orders, ${WORKERS} workers, ${stats.kills} SIGKILLs, ${stats.restarts} restarts, ${stats.eventsSeen} events seen`,
    ok,
    detail: `${stored}/${ORDERS} orders stored, ${open} not final, ${twice} settled twice, ${failed} failed, ${violations.length} invariant violations${violations.length ? `: ${violations.slice(0, 3).join('; ')}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  });
}

async function property(fault: string, property: fc.IAsyncProperty<never> | fc.IAsyncPropertyWithHooks<never>, runs: number) {
  const started = performance.now();
  const out = await fc.check(property as fc.IAsyncProperty<unknown>, { numRuns: runs });
  results.push({
    fault,
    tried: `${out.numRuns} random runs`,
    ok: !out.failed,
    detail: out.failed
      ? `counterexample: ${fc.stringify(out.counterexample)}: ${String(out.errorInstance)}`
      : `all agreed (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  });
}

/** `warehouse serve` + `work` processes killed mid-request, after a 201 and mid-job, then drained. */
async function serveCrash() {
  const db = tempDb();
  const started = performance.now();
  const stats = await serveCrashRun({ db, orders: ORDERS, kills: KILLS, servers: SERVERS, workers: Math.max(1, WORKERS - 1), clients: 8, seed: 2026 });
  const v = verifyServeCrash(db, stats);
  const k = stats.kills;
  results.push({
    fault: 'kill -9 of serve (and work) processes under HTTP load',
    tried: `${ORDERS} order requests (${stats.sent} sent with retries, ${stats.answered} answered), ${SERVERS} serve + ${Math.max(1, WORKERS - 1)} work processes, SIGKILLs: ${k['mid-request']} mid-request, ${k['after-201']} after a 201, ${k.worker} workers; ${stats.restarts} restarts`,
    ok: v.problems.length === 0,
    detail: `${v.created} orders acknowledged, ${v.orders} stored, ${v.unanswered} requests never acknowledged, failed ${JSON.stringify(v.failed)}, ${v.problems.length} problems${v.problems.length ? `: ${v.problems.slice(0, 3).join('; ')}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  });
}

/** hostile HTTP requests against one in-process server (test/reliability/http-fuzz.ts) */
async function httpFuzz() {
  const target = await startFuzzTarget();
  const started = performance.now();
  try {
    const out = await fc.check(httpFuzzProperty(target), { numRuns: FUZZ });
    const seen = [...target.seen]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
    results.push({
      fault: 'hostile HTTP input (random JSON, wrong types, huge numbers, unicode, odd headers, raw bodies)',
      tried: `${out.numRuns} random requests`,
      ok: !out.failed,
      detail: out.failed
        ? `counterexample: ${fc.stringify(out.counterexample).slice(0, 500)}: ${String(out.errorInstance).slice(0, 800)}`
        : `answers ${seen} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    });
  } finally {
    await target.close();
  }
}

/** The engine's own faults under load: another process's write lock, a disk that fills (issue 9). */
async function ownFaults() {
  const orders = Math.min(ORDERS, 1_000);
  const report = (fault: string, run: Awaited<ReturnType<typeof faultRun>>, tried: string) =>
    results.push({
      fault,
      tried,
      ok:
        run.notReserved.length === 0 &&
        run.timeouts === 0 &&
        run.violations.length === 0 &&
        run.cleanExit &&
        run.lagMaxMs < faultBoundMs(run.baselineLagMs) &&
        run.slowestProbeMs < faultBoundMs(run.baselineLagMs),
      detail: `${run.orders} orders, ${run.notReserved.length} not reserved${run.notReserved.length ? ` (${run.notReserved.slice(0, 3).join('; ')})` : ''}, ${run.timeouts} supplier timeouts, ${run.refused} writes refused then retried by the client, slowest health/read ${run.slowestProbeMs.toFixed(1)} ms, event-loop lag max ${run.lagMaxMs.toFixed(1)} ms during the faults (${run.baselineLagMs.toFixed(1)} ms before them), ${run.violations.length} invariant violations, clean exit ${run.cleanExit} (${(run.wallMs / 1000).toFixed(1)} s)`,
    });
  const locks = Math.max(3, Math.floor(KILLS / 10));
  report(
    "another process holding the database's write lock, during serve + work under load",
    await faultRun({
      orders,
      fault: { kind: 'lock', times: locks, holdMs: 10_000 },
      db: join(tempDir(), 'engine.db'),
      env: { WAREHOUSE_BUSY_TIMEOUT_MS: '1500' },
    }),
    `${orders} orders over HTTP, ${locks} locks of 10 s (the busy timeout is 1.5 s)`,
  );
  const disk = mountSmallDisk(16);
  if (!disk) {
    results.push({ fault: 'a disk that fills up', tried: 'skipped: mounting a tmpfs needs root', ok: true, detail: 'not run' });
    return;
  }
  try {
    const fills = Math.max(3, Math.floor(KILLS / 5));
    const small = Math.min(orders, 300);
    report(
      'a disk that fills up (16 MiB tmpfs), during serve + work under load',
      await faultRun({ orders: small, fault: { kind: 'disk-full', times: fills, holdMs: 2_000 }, db: join(disk.dir, 'engine.db') }, disk),
      `${small} orders over HTTP, the disk filled ${fills} times for 2 s`,
    );
  } finally {
    disk.release();
  }
}

/** The fault matrix (test/matrix/): every topology × fault that applies, the same checks in each cell. */
async function matrix() {
  const i = argv.indexOf('--databases');
  const dbs = new Set(i >= 0 ? argv[i + 1]!.split(',') : ['sqlite', 'pg', 'pg-redis']);
  const topologies = TOPOLOGIES.filter((t) => dbs.has(t.db));
  const started = performance.now();
  const run = await runMatrix(topologies, undefined, (line) => console.log(`matrix: ${line}`));
  console.log(`\n${renderTable(run, topologies)}\n`);
  for (const r of run.results) {
    if (r.status === 'n/a') continue;
    results.push({
      fault: `matrix: ${r.fault.label} · ${topologyName(r.topology)}`,
      tried: `${r.seconds.toFixed(1)} s`,
      ok: r.status !== 'FAIL',
      detail: r.status === 'pass' ? r.note : `${r.status}: ${r.problems.slice(0, 3).join('; ')}`,
    });
  }
  console.log(`matrix: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const fail = (problems: string[]) => {
  if (problems.length) throw new Error(problems.join('; '));
};

const only = (() => {
  const i = argv.indexOf('--only');
  return i >= 0 ? new Set(argv[i + 1]!.split(',')) : null;
})();
const stage = (name: string) => only === null || only.has(name);

if (stage('matrix')) await matrix();
if (stage('fuzz')) await httpFuzz();
if (stage('own-faults')) await ownFaults();
if (stage('crash')) await crash();
if (stage('serve-crash')) await serveCrash();
if (stage('model'))
  await property(
    'engine vs reference model (orders, restocks, supplier scripts)',
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), scripts(), async (ops, script) => {
      const got = await replay(ops, script);
      fail([...differences(ops, script, got), ...checkInvariants(got.file)]);
    }) as never,
    RUNS,
  );
if (stage('model'))
  await property(
    'supplier chaos (error, timeout, malformed, delayed)',
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), scripts(), async (ops, script) => {
      const got = await replay(ops, script);
      fail([...chaosProblems(got), ...checkInvariants(got.file)]);
    }) as never,
    RUNS,
  );
if (stage('model'))
  await property(
    'job interleavings (fc.scheduler over supplier answers)',
    fc.asyncProperty(fc.scheduler(), fc.array(op, { minLength: 2, maxLength: 16 }), scripts(SCHEDULED_RESERVE, SCHEDULED_STATUS), async (s, ops, script) => {
      const { wrap, drive } = schedulerDriver(s);
      const got = await replay(ops, script, wrap, drive);
      fail([...differences(ops, script, got), ...checkInvariants(got.file)]);
    }) as never,
    Math.ceil(RUNS / 2),
  );

console.log(`\nsoak: ${((performance.now() - t0) / 1000).toFixed(1)} s on ${process.version}`);
for (const r of results) {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.fault}\n     tried: ${r.tried}\n     ${r.detail}`);
}
const bad = results.filter((r) => !r.ok).length;
console.log(`${results.length - bad} passed, ${bad} failed`);
process.exit(bad ? 1 : 0);
