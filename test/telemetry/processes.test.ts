/**
 * One trace per order across processes: `serve` (no runner) takes the order over HTTP, a separate
 * `work` runs its jobs; both append to the same --trace-file. The trace context crosses in the
 * job's row (jobs.headers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseTraceLines, tracesOfOrder } from '../../src/telemetry/trace-file.js';
import { BIN, ROOT, runCli, tempDir } from '../helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function serve(args: string[]): Promise<{ url: string; child: ChildProcess; stopped: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args, 'serve', '--port', '0', '--no-runner'], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', LOG_LEVEL: 'warn', WAREHOUSE_API_TOKEN: '', WAREHOUSE_DB: undefined, WAREHOUSE_TRACE_FILE: undefined },
  });
  children.push(child);
  const stopped = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, stopped });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

const post = (url: string, path: string, body: unknown, method = 'POST') =>
  fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('serve and a separate work, both with --trace-file, give one trace per order', async () => {
  const dir = tempDir();
  const db = join(dir, 'w.db');
  const file = join(dir, 'traces.jsonl');
  const server = await serve(['--db', db, '--trace-file', file]);
  expect((await post(server.url, '/api/inventory/STOCKED', { onHand: 5 }, 'PUT')).status).toBe(200);
  expect((await post(server.url, '/api/order', { sku: 'SHORT', qty: 30 })).status).toBe(201); // #1: to the supplier
  expect((await post(server.url, '/api/order', { sku: 'STOCKED', qty: 2 })).status).toBe(201); // #2: from stock
  server.child.kill('SIGINT');
  expect(await server.stopped).toBe(0);

  const work = await runCli(['--db', db, '--trace-file', file, 'work', '--until-idle', '--clock', 'virtual', '--supplier-status', 'delayed,ok'], {
    env: { WAREHOUSE_TRACE_FILE: undefined },
  });
  expect(work.code, work.stderr).toBe(0);

  const { spans, skipped } = parseTraceLines(readFileSync(file, 'utf8'));
  expect(skipped).toBe(0);
  const [first, ...more] = tracesOfOrder(spans, 1);
  expect(more).toEqual([]);
  const byProcess = (command: string) => first!.spans.filter((s) => s.resource['warehouse.command'] === command).map((s) => s.name);
  expect(byProcess('serve')).toEqual(expect.arrayContaining(['POST /api/order', 'order create', 'tx created', 'create ReserveInventory']));
  expect(
    byProcess('work')
      .filter((n) => n.startsWith('process '))
      .sort(),
  ).toEqual(['process CheckSupplierStatus', 'process CheckSupplierStatus', 'process ReserveInventory']);
  const pids = new Set(first!.spans.map((s) => s.resource['process.pid']));
  expect(pids.size).toBe(2);
  // the runs in `work` hang from the request `serve` answered
  const request = first!.spans.find((s) => s.name === 'POST /api/order')!;
  for (const run of first!.spans.filter((s) => s.name.startsWith('process '))) expect(run.parentSpanId).toBe(request.spanId);

  // the other order is a trace of its own, also across both processes
  const [second] = tracesOfOrder(spans, 2);
  expect(second!.traceId).not.toBe(first!.traceId);
  expect(second!.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['POST /api/order', 'process ReserveInventory', 'tx reserved:stock']));

  const drawn = await runCli(['trace', '1', '--trace-file', file]);
  expect(drawn.code).toBe(0);
  expect(drawn.stdout).toMatch(/spans from serve \(pid \d+\), work \(pid \d+\)\n/);
});
