/**
 * Scale-out on PostgreSQL, for each reservation strategy: 4 `warehouse work` and 2 `warehouse serve`
 * processes on one database (a schema of their own); 1,000 orders for one SKU with 300 on hand are
 * posted over HTTP (an Idempotency-Key each, retried until answered) while every process runs jobs
 * against one scripted supplier (an HTTP server of the test's: a 500, then a rejection, for each
 * order); one worker is killed with SIGKILL mid-run; then the queue drains. Afterwards: `warehouse check` passes, nothing was oversold (exactly
 * 300 orders reserved, each from stock; stock never below 0), the other 700 failed
 * `supplier_rejected`, every accepted order exists once, and the survivors stop cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RESERVE_STRATEGIES } from '../../src/domain/settings.js';
import { BIN, rawSql, ROOT, runCli, tempPgUrl } from '../helpers.js';

const ORDERS = 1_000;
const ON_HAND = 300;
/** a short lease keeps the takeover after the kill to a second, a short backoff the supplier's retries */
const ENGINE = ['--lease', '1s', '--backoff-base', '20ms', '--backoff-cap', '200ms'];

/**
 * The scripted supplier all processes share (docs/design.md §12: they share the supplier URL): for each
 * Idempotency-Key, the first reserve call answers HTTP 500 (a transient error, retried with backoff
 * by whichever process claims the job next), every later one `accepted: false`.
 */
async function scriptedSupplier() {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      if (req.url !== '/supplier/reserve') res.writeHead(404).end();
      else if (n === 1) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"try again"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":false}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise((r) => server.close(r)) };
}

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});

function start(db: string, supplierUrl: string, args: string[]): { child: ChildProcess; exited: Promise<number | null>; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [BIN, '--database', db, '--supplier-url', supplierUrl, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      if (code !== 0 && code !== null) console.error(`${args[0]} exited ${code}: ${stderr}`);
      resolve(code);
    }),
  );
  const firstLine = new Promise<string>((resolve, reject) => {
    // (workers are never asked for it)
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    void exited.then((code) => reject(new Error(`${args[0]} exited ${code} before it printed a line: ${stderr}`)));
  });
  firstLine.catch(() => {});
  return { child, exited, firstLine };
}

/** POSTs one order until it is answered 201 (a retry carries the same Idempotency-Key). */
async function post(base: string, key: string): Promise<number> {
  for (let tries = 0; ; tries++) {
    try {
      const r = await fetch(`${base}/api/order`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: '{"sku":"HOT","qty":1}',
      });
      if (r.status === 201) return ((await r.json()) as { id: number }).id;
      if (tries > 50) throw new Error(`order ${key}: HTTP ${r.status} ${await r.text()}`);
    } catch (error) {
      if (tries > 50) throw error;
    }
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('4 workers and 2 servers on one PostgreSQL database', () => {
  for (const strategy of RESERVE_STRATEGIES) {
    it(`${strategy}: 1,000 orders on one SKU with 300 on hand, a worker killed mid-run: nothing oversold, lost or doubled`, async () => {
      const started = performance.now();
      const db = tempPgUrl();
      expect((await runCli(['--database', db, 'inventory', 'set', 'HOT', String(ON_HAND)])).code).toBe(0);
      const supplier = await scriptedSupplier();
      const flags = [...ENGINE, '--reserve-strategy', strategy];
      const workers = Array.from({ length: 4 }, () => start(db, supplier.url, ['--json', 'work', ...flags]));
      const servers = Array.from({ length: 2 }, () =>
        start(db, supplier.url, ['--json', 'serve', '--port', '0', '--rate-limit', '0', '--log-level', 'warn', ...flags]),
      );
      const urls = await Promise.all(servers.map(async (s) => (JSON.parse(await s.firstLine) as { url: string }).url));
      const phases = [`up ${((performance.now() - started) / 1000).toFixed(1)} s`];

      // 16 clients post the orders, alternating servers; worker 0 is killed once 40 % are in
      const ids: number[] = [];
      let next = 0;
      let killed = false;
      await Promise.all(
        Array.from({ length: 16 }, async (_, c) => {
          while (next < ORDERS) {
            const i = next++;
            ids.push(await post(urls[(i + c) % 2]!, `${strategy}-${i}`));
            if (!killed && ids.length >= ORDERS * 0.4) {
              killed = true;
              workers[0]!.child.kill('SIGKILL');
            }
          }
        }),
      );
      expect(await workers[0]!.exited).toBeNull();
      phases.push(`posted ${((performance.now() - started) / 1000).toFixed(1)} s`);

      // drain: every order final (bounded), then the survivors stop on SIGTERM
      const open = async () => Number((await rawSql(db, `SELECT count(*) AS n FROM orders WHERE status IN ('pending', 'awaiting_restock')`))[0]!.n);
      const deadline = performance.now() + 90_000;
      while ((await open()) > 0) {
        if (performance.now() > deadline) throw new Error(`${await open()} orders still open after 90 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      phases.push(`drained ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const survivors = [...workers.slice(1), ...servers];
      for (const s of survivors) s.child.kill('SIGTERM');
      expect(await Promise.all(survivors.map((s) => s.exited))).toEqual(Array(survivors.length).fill(0));

      const check = await runCli(['--database', db, 'check']);
      expect(check.stdout + check.stderr).toMatch(/every invariant holds/);
      expect(check.code).toBe(0);
      // nothing lost or doubled: 1,000 accepted ids, 1,000 orders, each once
      expect(new Set(ids).size).toBe(ORDERS);
      const rows = await rawSql(db, `SELECT id, status, failure_reason FROM orders ORDER BY id`);
      expect(rows.map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      // no oversell: exactly the 300 on hand were reserved, each by one reservation movement, and stock never went below 0
      expect(rows.filter((r) => r.status === 'reserved')).toHaveLength(ON_HAND);
      expect(rows.filter((r) => r.status === 'failed' && r.failure_reason === 'supplier_rejected')).toHaveLength(ORDERS - ON_HAND);
      const [stock] = await rawSql(
        db,
        `SELECT on_hand, (SELECT min(on_hand_after) FROM movements) AS low, (SELECT count(*)::int FROM movements WHERE type = 'reservation') AS n FROM inventory WHERE sku = 'HOT'`,
      );
      expect(stock).toEqual({ on_hand: 0, low: 0, n: ON_HAND });
      expect(await rawSql(db, `SELECT count(*)::int AS n FROM dead_letters`)).toEqual([{ n: 0 }]);
      // each order short of stock asked the supplier under its own key until it answered: a 500, then the rejection
      expect(supplier.calls.size).toBe(ORDERS - ON_HAND);
      expect([...supplier.calls.values()].every((n) => n >= 2)).toBe(true);
      await supplier.close();
      console.log(`${strategy}: ${ORDERS} orders, 6 processes, one killed: ${((performance.now() - started) / 1000).toFixed(1)} s (${phases.join(', ')})`);
    }, 150_000);
  }
});
