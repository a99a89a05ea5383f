/**
 * HTTP benchmark: POST /api/order of `warehouse serve` against a minimal Fastify handler that
 * writes the same rows (one orders row, one order_events row, one jobs row) with hand-written
 * SQL through better-sqlite3, in one BEGIN IMMEDIATE transaction, with the same durability
 * (WAL + synchronous=FULL). Each server runs in its own process; autocannon drives it from this one.
 *
 *   npx tsx bench/http.ts [--quick] [--json] [--connections n] [--seconds n] [--durability full|normal] [--rounds n]
 *
 * `--durability normal` (both sides) takes the fsync out of the picture and shows the HTTP layer's
 * own cost; the target is stated for the default, `full`.
 *
 * Variants: `raw` (the baseline), `api` (the real server as shipped, job runner off: the same
 * write path; its writes commit in groups, the default), `api+runner` (as shipped: the runner also
 * reserves every order in the same process), and both again with `--no-group-commit` (`plain`:
 * one transaction per write, as the baseline). With a runner, the load also says whether the
 * runner kept pace: orders reserved per second during it, and the orders left pending at its end in
 * seconds of that pace (issue 24: ≥ 0.6 of raw, backlog ≤ 1 s; `--seconds 30` for its 30 s load).
 * Targets: api / raw ≥ 0.7 in requests per second; api+runner / raw ≥ 0.6.
 *
 *   --variants raw,api+runner    only these (raw is always run: every ratio is against it)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Variant = 'raw' | 'api' | 'api+plain' | 'api+runner' | 'api+runner+plain';
type Durability = 'full' | 'normal';
const ALL_VARIANTS: Variant[] = ['raw', 'api', 'api+plain', 'api+runner', 'api+runner+plain'];
const withRunner = (v: Variant) => v.startsWith('api+runner');
/** `--no-group-commit`: one transaction per write */
const plain = (v: Variant) => v.endsWith('+plain');
const ORDER = JSON.stringify({ sku: 'BENCH-1', qty: 1 });

// ------------------------------------------------------------------ the servers (child process)

async function serveRaw(db: string, durability: Durability): Promise<string> {
  const { default: Fastify } = await import('fastify');
  const { openDatabase } = await import('../src/adapters/sqlite/open.js');
  const raw = await openDatabase({ file: db, durability }); // WAL + synchronous + migrations, as the store opens it
  const insertOrder = raw.prepare(
    `INSERT INTO orders (sku, qty, status, supplier_checks, created_at, updated_at) VALUES (?, ?, 'pending', 0, ?, ?) RETURNING *`,
  );
  const insertEvent = raw.prepare(`INSERT INTO order_events (order_id, at, type, data) VALUES (?, ?, 'OrderCreated', ?)`);
  const insertJob = raw.prepare(
    `INSERT INTO jobs (type, order_id, payload, status, run_at, attempts, max_attempts, created_at) VALUES ('ReserveInventory', ?, '{}', 'queued', ?, 0, 5, ?)`,
  );
  const create = raw.transaction((sku: string, qty: number, now: number) => {
    const order = insertOrder.get(sku, qty, now, now) as { id: number; sku: string; qty: number; status: string; created_at: number };
    insertEvent.run(order.id, now, JSON.stringify({ sku, qty }));
    insertJob.run(order.id, now, now);
    return order;
  });
  const app = Fastify();
  app.post('/api/order', async (request, reply) => {
    const { sku, qty } = request.body as { sku: string; qty: number };
    const order = create.immediate(String(sku).trim().toUpperCase(), Number(qty), Date.now());
    const at = new Date(order.created_at).toISOString();
    return reply.code(201).header('location', `/api/orders/${order.id}`).send({
      id: order.id,
      sku: order.sku,
      qty: order.qty,
      status: order.status,
      supplierRef: null,
      supplierChecks: 0,
      failureReason: null,
      createdAt: at,
      updatedAt: at,
    });
  });
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function serveApi(db: string, runner: boolean, durability: Durability, plainPath: boolean): Promise<string> {
  const { pino } = await import('pino');
  const { startServer } = await import('../src/http/server.js');
  const server = await startServer({
    // as shipped: the database's defaults (group commit), or `--no-group-commit`
    database: { kind: 'sqlite', file: db, durability, ...(plainPath ? { groupCommit: false } : {}) },
    port: 0,
    runner,
    rateLimitPerMinute: 0,
    logLevel: 'info', // as shipped: one line per request, serialised and written (to /dev/null here)
    logDestination: pino.destination({ dest: '/dev/null', sync: true }),
  });
  // plenty of stock, so the runner reserves every order locally (no supplier waits)
  await fetch(`${server.url}/api/inventory/BENCH-1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"onHand":1000000}' });
  return server.url;
}

async function child(variant: Variant, db: string, durability: Durability): Promise<void> {
  const url = variant === 'raw' ? await serveRaw(db, durability) : await serveApi(db, withRunner(variant), durability, plain(variant));
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  process.once('SIGTERM', () => process.exit(0));
}

// ------------------------------------------------------------------ the driver

interface Result {
  variant: Variant;
  requestsPerSecond: number;
  /** with a runner: orders reserved per second during the load, and orders still pending at its end (in seconds of the runner's pace) */
  settledPerSecond?: number;
  backlogSeconds?: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function startChild(variant: Variant, db: string, durability: Durability): Promise<{ url: string; db: string; variant: Variant; stop: () => Promise<void> }> {
  const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', variant, db, durability], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        const { url } = JSON.parse(line) as { url: string };
        resolve({ url, db, variant, stop: () => new Promise<void>((r) => (proc.once('exit', () => r()), proc.kill('SIGTERM'))) });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${variant} server exited ${code} before listening`)));
  });
}

interface Run {
  settledPerSecond?: number;
  backlogSeconds?: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  failed: number;
}

async function hit(url: string, connections: number, seconds: number): Promise<Run> {
  const opts = { url: `${url}/api/order`, method: 'POST', headers: { 'content-type': 'application/json' }, body: ORDER, connections };
  const r = await autocannon({ ...opts, duration: seconds });
  return { requestsPerSecond: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, total: r.requests.total, failed: r.non2xx + r.errors };
}

/**
 * A load on a server with its runner, and whether the runner kept pace: orders reserved per second
 * during the load, and what is left pending at its end in seconds of that pace (read from the
 * database file, as another process would).
 */
async function paced(url: string, db: string, connections: number, seconds: number): Promise<Run> {
  const { default: Database } = await import('better-sqlite3');
  const file = new Database(db, { readonly: true, timeout: 5_000 });
  try {
    const reserved = file.prepare(`SELECT count(*) FROM orders WHERE status = 'reserved'`).pluck();
    const pending = file.prepare(`SELECT count(*) FROM orders WHERE status = 'pending'`).pluck();
    const before = reserved.get() as number;
    const t0 = performance.now();
    const run = await hit(url, connections, seconds);
    const settledPerSecond = ((reserved.get() as number) - before) / ((performance.now() - t0) / 1000);
    const left = pending.get() as number;
    return { ...run, settledPerSecond: Math.round(settledPerSecond), backlogSeconds: +(left / Math.max(settledPerSecond, 1)).toFixed(2) };
  } finally {
    file.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * All servers start first; then each round hits every variant in turn, so a burst of noise from
 * other work on the machine falls on all of them alike. Figures are medians over the rounds.
 */
async function measureAll(variants: Variant[], dir: string, connections: number, seconds: number, rounds: number, durability: Durability): Promise<Result[]> {
  const servers = await Promise.all(variants.map((v) => startChild(v, join(dir, `${v.replaceAll('+', '-')}.db`), durability)));
  try {
    for (const s of servers) await hit(s.url, connections, 1); // warm-up (JIT, page cache, WAL)
    const runs: Run[][] = variants.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, s] of servers.entries())
        runs[i]!.push(withRunner(s.variant) ? await paced(s.url, s.db, connections, seconds) : await hit(s.url, connections, seconds));
    }
    return variants.map((variant, i) => {
      const r = runs[i]!;
      return {
        variant,
        requestsPerSecond: median(r.map((x) => x.requestsPerSecond)),
        p50Ms: median(r.map((x) => x.p50Ms)),
        p99Ms: median(r.map((x) => x.p99Ms)),
        ...(withRunner(variant)
          ? { settledPerSecond: median(r.map((x) => x.settledPerSecond ?? 0)), backlogSeconds: median(r.map((x) => x.backlogSeconds ?? 0)) }
          : {}),
        total: r.reduce((n, x) => n + x.total, 0),
        non2xx: r.reduce((n, x) => n + x.failed, 0),
        errors: 0,
      };
    });
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => argv.includes(name);
  const value = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const quick = flag('--quick');
  const connections = value('--connections', 10);
  const seconds = value('--seconds', quick ? 3 : 10);
  const rounds = value('--rounds', quick ? 1 : 3);
  const durability: Durability = argv[argv.indexOf('--durability') + 1] === 'normal' && argv.includes('--durability') ? 'normal' : 'full';
  const asked = argv.includes('--variants') ? argv[argv.indexOf('--variants') + 1]!.split(',') : ALL_VARIANTS;
  const unknown = asked.filter((v) => !ALL_VARIANTS.includes(v as Variant));
  if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')} (known: ${ALL_VARIANTS.join(', ')})`);
  const variants = ALL_VARIANTS.filter((v) => v === 'raw' || asked.includes(v));
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-'));
  try {
    const results = await measureAll(variants, dir, connections, seconds, rounds, durability);
    const raw = results.find((r) => r.variant === 'raw')!;
    const of = (v: Variant) => results.find((r) => r.variant === v);
    const ratio = (v: Variant) => {
      const r = of(v);
      return r ? Math.round((r.requestsPerSecond / raw.requestsPerSecond) * 100) / 100 : undefined;
    };
    const summary = {
      connections,
      seconds,
      rounds,
      durability: `WAL + synchronous=${durability.toUpperCase()}`,
      results,
      ratio: { api: ratio('api'), apiPlain: ratio('api+plain'), apiWithRunner: ratio('api+runner'), apiWithRunnerPlain: ratio('api+runner+plain') },
      target: 0.7,
    };
    {
      console.log(`POST /api/order, ${connections} connections, ${rounds} round(s) of ${seconds} s per variant (medians), ${summary.durability}`);
      console.log(
        `load average ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );
      console.log('variant          req/s     p50 ms   p99 ms   total    non-2xx  settled/s  backlog s');
      for (const r of results) {
        console.log(
          `${r.variant.padEnd(15)} ${r.requestsPerSecond.toFixed(0).padStart(7)} ${String(r.p50Ms).padStart(9)} ${String(r.p99Ms).padStart(8)} ${String(r.total).padStart(8)} ${String(r.non2xx + r.errors).padStart(8)} ${String(r.settledPerSecond ?? '').padStart(10)} ${String(r.backlogSeconds ?? '').padStart(10)}`,
        );
      }
      console.log(
        `ratio api/raw ${summary.ratio.api ?? '-'} (target ≥ ${summary.target}; --no-group-commit ${summary.ratio.apiPlain ?? '-'}); api+runner/raw ${summary.ratio.apiWithRunner ?? '-'} (target ≥ 0.6, backlog ≤ 1 s; --no-group-commit ${summary.ratio.apiWithRunnerPlain ?? '-'})`,
      );
    }
    if (flag('--json')) {
      // the bench orchestrator's contract: the last line of stdout is one JSON object
      const api = of('api');
      const apiPlain = of('api+plain');
      const runnerResult = of('api+runner');
      const runnerPlain = of('api+runner+plain');
      const rps = (r: Result | undefined) => (r ? Math.round(r.requestsPerSecond) : undefined);
      const line = {
        http: {
          baselinePerSec: Math.round(raw.requestsPerSecond),
          // as shipped (group commit)
          reqPerSec: rps(api),
          ratio: summary.ratio.api,
          p50Ms: api?.p50Ms,
          p99Ms: api?.p99Ms,
          withRunnerReqPerSec: rps(runnerResult),
          withRunnerRatio: summary.ratio.apiWithRunner,
          withRunnerSettledPerSec: runnerResult?.settledPerSecond,
          withRunnerBacklogSeconds: runnerResult?.backlogSeconds,
          // --no-group-commit
          plainReqPerSec: rps(apiPlain),
          plainRatio: summary.ratio.apiPlain,
          plainRunnerReqPerSec: rps(runnerPlain),
          plainRunnerRatio: summary.ratio.apiWithRunnerPlain,
          plainRunnerSettledPerSec: runnerPlain?.settledPerSecond,
          plainRunnerBacklogSeconds: runnerPlain?.backlogSeconds,
          durability: summary.durability,
        },
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
    if (results.some((r) => r.non2xx + r.errors > 0)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--serve') await child(args[1] as Variant, args[2]!, args[3] as Durability);
else await main(args);
