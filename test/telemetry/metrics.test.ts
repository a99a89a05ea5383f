/**
 * The reservation figures after a scripted run — success rate, supplier delays, job retry
 * counts — and the rest of the metrics of docs/design.md §14, the same on /metrics (a server on the database)
 * and in `warehouse stats` (the database alone, in another process). `promtool check metrics`
 * lints the exposition when promtool is on the machine (.ci/run installs it; under CI=true a
 * missing promtool fails the test instead of skipping it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/http/server.js';
import { note } from '../../src/domain/plans.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { runCli, tempDb, testWarehouse } from '../helpers.js';

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
if (!PROMTOOL && !process.env.CI) console.log('promtool not found: the `promtool check metrics` test is skipped (apt-get install prometheus provides it)');

let db: string;
let w: Warehouse;
let metrics: string;

/**
 * Five orders: two from stock; one the supplier keeps `delayed` once then `ok` (30 s awaiting);
 * one `delayed` three times (failed at 45 s); one whose reserve call fails twice with HTTP 500
 * before it is accepted, then `ok` at the first check (15 s awaiting).
 */
beforeAll(async () => {
  db = tempDb();
  w = await testWarehouse({
    db,
    supplierScript: {
      LATE: { status: ['delayed', 'ok'] },
      NEVER: { status: ['delayed', 'delayed', 'delayed'] },
      FLAKY: { reserve: ['error', 'error', 'accepted'], status: 'ok' },
    },
  });
  await w.inventory.set('STOCKED', 10);
  for (const [sku, qty] of [
    ['STOCKED', 1],
    ['STOCKED', 2],
    ['LATE', 5],
    ['NEVER', 5],
    ['FLAKY', 5],
  ] as const)
    await w.orders.create({ sku, qty });
  await w.runner.runUntilIdle();
  const server = await startServer({ warehouse: w, port: 0, runner: false, logLevel: 'silent' });
  metrics = await (await fetch(`${server.url}/metrics`)).text();
  await server.close();
  await w.close();
});
afterAll(() => w?.close());

const value = (series: string) => {
  const found = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  expect(found, `${series} in /metrics:\n${metrics}`).toBeDefined();
  return Number(found!.slice(series.length + 1));
};

describe('the three reservation figures: success rate, supplier delays, job retries', () => {
  it('reservation success rate by source: reserved / final', async () => {
    expect(value('warehouse_reservation_success_ratio{source="stock"}')).toBe(1);
    expect(value('warehouse_reservation_success_ratio{source="supplier"}')).toBeCloseTo(2 / 3, 10);
    expect(value('warehouse_reservation_success_ratio{source="all"}')).toBe(0.8);
    expect(value('warehouse_reservations_total{outcome="local",reason=""}')).toBe(2);
    expect(value('warehouse_reservations_total{outcome="supplier",reason=""}')).toBe(2);
    expect(value('warehouse_reservations_total{outcome="failed",reason="supplier_delayed"}')).toBe(1);
  });

  it('supplier delays: the delayed answers, the orders that heard one, and how long orders waited on the supplier', () => {
    expect(value('warehouse_supplier_answers_total{call="status",answer="delayed"}')).toBe(4);
    expect(value('warehouse_supplier_answers_total{call="status",answer="ok"}')).toBe(2);
    expect(value('warehouse_supplier_answers_total{call="reserve",answer="accepted"}')).toBe(3);
    expect(value('warehouse_supplier_answers_total{call="reserve",answer="http_error"}')).toBe(2);
    expect(value('warehouse_supplier_delayed_orders_total')).toBe(2);
    const h = 'warehouse_awaiting_restock_duration_seconds';
    expect([15, 30, 45].map((le) => value(`${h}_bucket{le="${le}"}`))).toEqual([1, 2, 3]);
    expect(value(`${h}_bucket{le="5"}`)).toBe(0);
    expect(value(`${h}_count`)).toBe(3);
    expect(value(`${h}_sum`)).toBe(90);
  });

  it('job retry counts by type, owner and reason', () => {
    expect(value('warehouse_job_retries_total{type="ReserveInventory",owner="supplier",reason="http_error"}')).toBe(2);
    expect(metrics).not.toMatch(/warehouse_job_retries_total\{type="CheckSupplierStatus"/);
  });
});

describe('the other metrics', () => {
  it('counts orders, dead letters and the queue from the database', () => {
    expect(value('warehouse_orders_created_total')).toBe(5);
    expect(value('warehouse_orders_settled_total{status="reserved"}')).toBe(4);
    expect(value('warehouse_orders_settled_total{status="failed"}')).toBe(1);
    expect(value('warehouse_dead_letters')).toBe(0);
    expect(value('warehouse_queue_depth{status="queued"}')).toBe(0);
    expect(value('warehouse_queue_oldest_due_age_seconds')).toBe(0);
    expect(metrics).toContain('# TYPE warehouse_lock_conflicts_total counter\n');
  });

  it('counts lock conflicts per strategy from the InventoryConflict events stored with the commits that won', async () => {
    const engine = await testWarehouse();
    const order = await engine.orders.create({ sku: 'HOT', qty: 1 });
    // as the optimistic strategy's adapter records them (src/adapters/*/stock.ts), in the order's transaction
    for (const conflicts of [3, 2])
      await engine.store.applyToOrder(order.id, engine.clock.now(), () => note('InventoryConflict', { sku: 'HOT', strategy: 'optimistic', conflicts }));
    const server = await startServer({ warehouse: engine, port: 0, runner: false, logLevel: 'silent' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const stats = JSON.parse((await runCli(['--db', (engine.database as { file: string }).file, '--json', 'stats'])).stdout) as {
      lockConflicts: Record<string, number>;
    };
    await server.close();
    await engine.close();
    expect(text).toContain('warehouse_lock_conflicts_total{strategy="optimistic"} 5');
    expect(stats.lockConflicts).toEqual({ optimistic: 5 });
  });

  it.runIf(PROMTOOL || process.env.CI)('passes `promtool check metrics`', () => {
    expect(PROMTOOL, 'promtool is not installed: .ci/run installs it (apt-get install prometheus)').toBe(true);
    const out = execFileSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(out).toBe('');
  });
});

describe('warehouse stats', () => {
  it('shows the same figures from the database alone, as JSON', async () => {
    const r = await runCli(['--db', db, '--json', 'stats']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.successRate).toEqual({ stock: 1, supplier: 2 / 3, all: 0.8 });
    expect(s.settled).toEqual({ stock: { reserved: 2, failed: 0 }, supplier: { reserved: 2, failed: 1 } });
    expect(s.delays).toEqual({ orders: 2, answers: 4 });
    expect(s.retries).toEqual([{ jobType: 'ReserveInventory', owner: 'supplier', reason: 'http_error', count: 2 }]);
    expect(s.awaitingRestock).toMatchObject({ count: 3, sumSeconds: 90, maxSeconds: 45 });
    expect(s.awaitingRestock.buckets.slice(2, 5)).toEqual([
      { le: 15, count: 1 },
      { le: 30, count: 2 },
      { le: 45, count: 3 },
    ]);
    expect(s.queue).toEqual({ queued: 0, running: 0, parked: 0, deadLetters: 0, oldestDueAgeSeconds: 0 });
  });

  it('shows them as a table that fits 80 columns', async () => {
    const r = await runCli(['--db', db, 'stats']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n');
    for (const l of rows) expect([...l].length).toBeLessThanOrEqual(80);
    const cells = (l: string) =>
      l
        .split('│')
        .map((c) => c.trim())
        .filter(Boolean);
    const table = rows.filter((l) => l.startsWith('│')).map(cells);
    expect(table).toEqual(
      expect.arrayContaining([
        ['success rate', 'stock', '100.0% (2 of 2)'],
        ['supplier', '66.7% (2 of 3)'],
        ['all', '80.0% (4 of 5)'],
        ['supplier delays', 'orders told delayed', '2'],
        ['delayed answers', '4'],
        ['job retries', 'ReserveInventory supplier/http_error', '2'],
      ]),
    );
  });
});
