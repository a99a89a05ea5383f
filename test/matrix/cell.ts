/**
 * One cell of the fault matrix: a topology started as real processes, a workload of orders over
 * HTTP (half from stock, half through the supplier) before, during and after one fault, `/healthz`
 * probed while the fault lasts, then the five checks of test/matrix/checks.ts on what was stored.
 * Clients behave as the API asks: an Idempotency-Key on every order, retried while the answer is
 * 503/507/5xx or no answer at all, until a 201 (or a deadline after the fault healed).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { rawSql, runCli, tempDir } from '../helpers.js';
import { mountSmallDisk } from '../faults/harness.js';
import { privateRedis, type PrivateRedis } from '../redis/support.js';
import { checkOutcome, type Outcome } from './checks.js';
import type { CellContext, Fault, Injection, Machine } from './faults.js';
import { intermittent, knownDefect } from './known.js';
import type { PrivatePg } from './pg-server.js';
import { startTopology, topologyUnavailable, type Started, type Topology } from './topology.js';

export type CellStatus = 'pass' | 'FAIL' | 'known' | 'n/a';
export interface CellResult {
  topology: Topology;
  fault: Fault;
  status: CellStatus;
  /** why n/a; the known defect; or the problems found */
  note: string;
  problems: string[];
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** how long clients keep retrying once the fault healed, and how long orders may take to settle */
const RETRY_AFTER_HEAL_MS = 20_000;
const SETTLE_MS = 45_000;
const STOCK = 100;

let cellCount = 0;

interface Client {
  acknowledged: number[];
  problems: string[];
  /** how long after the fault healed it keeps retrying (a fault that never heals: briefly) */
  retryMs: number;
  send(i: number, healed: () => number | null): Promise<void>;
}

function client(api: string, tag: string): Client {
  const c: Client = {
    retryMs: RETRY_AFTER_HEAL_MS,
    acknowledged: [],
    problems: [],
    async send(i, healed) {
      const body = JSON.stringify({ sku: i % 2 ? 'LOCAL' : 'SUPPLIED', qty: 1 });
      for (;;) {
        const h = healed();
        if (h !== null && Date.now() > h + c.retryMs) return;
        const r = await fetch(`${api}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `${tag}-${i}` },
          body,
          signal: AbortSignal.timeout(10_000),
        }).catch(() => null);
        if (r?.status === 201) {
          c.acknowledged.push(((await r.json()) as { id: number }).id);
          return;
        }
        if (r && r.status < 500) {
          c.problems.push(`order ${i}: ${r.status} ${(await r.text()).slice(0, 200)}`);
          return;
        }
        await r?.body?.cancel();
        await sleep(250);
      }
    },
  };
  return c;
}

async function stored(database: string) {
  return (await rawSql(database, 'SELECT id, status, failure_reason AS "failureReason", supplier_ref AS "ref" FROM orders ORDER BY id')) as Array<{
    id: number;
    status: string;
    failureReason: string | null;
    ref: string | null;
  }>;
}

async function untilSettled(databases: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = (await Promise.all(databases.map(stored))).flat().filter((o) => o.status !== 'reserved' && o.status !== 'failed');
    if (open.length === 0 || Date.now() > deadline) return;
    await sleep(200);
  }
}

export interface Shared {
  machine: Machine;
  pg: PrivatePg | null;
}

export async function runCell(topology: Topology, fault: Fault, shared: Shared): Promise<CellResult> {
  const started = performance.now();
  const result = (status: CellStatus, note: string, problems: string[] = []): CellResult => ({
    topology,
    fault,
    status,
    note,
    problems,
    seconds: (performance.now() - started) / 1000,
  });
  const na = topologyUnavailable(topology) ?? fault.na(topology, shared.machine);
  if (na) return result('n/a', na);

  const n = ++cellCount;
  const tag = `matrix-${process.pid}-${n}`;
  const dir = tempDir();
  const disk = fault.disk ? mountSmallDisk(16) : null;
  if (fault.disk && !disk) return result('n/a', 'mounting a tmpfs failed here');
  let redis = null as PrivateRedis | null;
  let dbCount = 0;
  const newDatabase = () => {
    dbCount++;
    if (topology.db === 'sqlite') {
      const d = join(disk?.dir ?? dir, `db${dbCount}`);
      mkdirSync(d);
      return join(d, 'engine.db');
    }
    return `${shared.pg!.url}?schema=matrix_${process.pid}_${n}_${dbCount}`;
  };
  const engines: Started[] = [];
  try {
    return await cellBody();
  } catch (error) {
    const problem = `the cell could not run: ${String(error).split('\n').slice(0, 6).join(' / ').slice(0, 800)}`;
    const known = knownDefect(topology, fault);
    return known ? result('known', `${known}: ${problem}`, [problem]) : result('FAIL', problem, [problem, `logs: ${engines.map((e) => e.logs()).join('\n')}`]);
  } finally {
    for (const e of engines) await e.stop().catch(() => false);
    await redis?.kill();
    disk?.release();
  }

  async function cellBody(): Promise<CellResult> {
    if (topology.db === 'pg-redis') redis = await privateRedis();
    const start = async (supplierUrl?: string, beforeProcesses?: (database: string) => Promise<void>) => {
      const e = await startTopology({
        beforeProcesses,
        topology,
        database: newDatabase(),
        dir: join(dir, `s${engines.length}`),
        queue: redis ? `${redis.url}?prefix=${tag}-${engines.length}` : undefined,
        supplierUrl,
        stock: STOCK,
        env: fault.env,
      });
      engines.push(e);
      return e;
    };
    mkdirSync(join(dir, 's0'));
    mkdirSync(join(dir, 's1'));
    // a fault at start-up is in place before the engines first start; they must wait it out
    let earlyEnded: Promise<void> = Promise.resolve();
    const run = await start(undefined, async (database) => {
      if (fault.beforeStart) earlyEnded = (await fault.beforeStart(database)).end();
    });
    await earlyEnded;
    const clients = new Map<Started, Client>([[run, client(run.api, `${tag}-0`)]]);
    let healedAt: number | null = null;
    const healed = () => healedAt;
    const never = () => null;

    // warm-up: one order of each kind, settled before the fault
    await Promise.all([0, 1].map((i) => clients.get(run)!.send(i, never)));
    await untilSettled([run.database], SETTLE_MS);

    const ctx: CellContext = { run, pg: shared.pg, redis, disk, another: (url) => start(url) };
    const injection: Injection = await fault.begin(ctx);
    if (injection.waitingAllowed) clients.get(run)!.retryMs = 3_000;
    for (const other of injection.others ?? []) clients.set(other, client(other.api, `${tag}-${engines.indexOf(other)}`));
    const seen: number[] = [];
    const probing = (async () => {
      while (healedAt === null) {
        const r = await fetch(`${run.api}/healthz`, { signal: AbortSignal.timeout(3_000) }).catch(() => null);
        seen.push(r?.status ?? 0);
        await r?.body?.cancel();
        await sleep(250);
      }
    })();
    const during = [...clients.values()].flatMap((c) => [2, 3, 4, 5, 6, 7].map((i) => c.send(i, healed)));
    await injection.end();
    healedAt = Date.now();
    await probing;
    await Promise.all([...during, ...[...clients.values()].flatMap((c) => [8, 9].map((i) => c.send(i, healed)))]);
    if (!injection.waitingAllowed)
      await untilSettled(
        engines.map((e) => e.database),
        SETTLE_MS,
      );

    const problems: string[] = [...((await injection.problems?.()) ?? [])];
    const refs = new Map<string, string>();
    for (const [e, c] of clients) {
      const label = clients.size > 1 ? `database ${engines.indexOf(e) + 1}: ` : '';
      const check = await runCli(['--database', e.database, 'check'], { env: e.env });
      const orders = await stored(e.database);
      const outcome: Outcome = {
        acknowledged: c.acknowledged,
        stored: orders,
        injected: fault.owners(topology),
        waitingAllowed: injection.waitingAllowed,
        check: { code: check.code, output: check.stdout + check.stderr },
        checkFinds: injection.checkFinds,
        health: { expected: e === run ? fault.health(topology) : { kind: 'n/a', why: 'not the faulted engine' }, seen },
      };
      problems.push(...c.problems.map((p) => `${label}client: ${p}`), ...checkOutcome(outcome).map((p) => label + p));
      for (const o of orders) {
        if (!o.ref) continue;
        const where = `${label}#${o.id}`;
        if (refs.has(o.ref)) problems.push(`supplier ref ${o.ref} booked twice: ${refs.get(o.ref)} and ${where}`);
        refs.set(o.ref, where);
      }
    }
    const known = knownDefect(topology, fault);
    if (problems.length === 0) {
      if (known && intermittent(topology, fault)) return result('pass', `passed this time (intermittent: ${known})`);
      if (known) return result('FAIL', `passes, but is marked as a known defect (${known}): remove the marking`, [`marked known: ${known}`]);
      return result('pass', `${[...clients.values()].reduce((s, c) => s + c.acknowledged.length, 0)} orders acknowledged`);
    }
    if (known) return result('known', `${known}: ${problems[0]}`, problems);
    return result('FAIL', problems[0]!, [...problems, `logs: ${engines.map((e) => e.logs()).join('\n')}`]);
  }
}
