/** Shared test helpers: temp databases, the real CLI as a process, and the DESIGN §8 invariants. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { createWarehouse, type Warehouse, type WarehouseConfig } from '../src/wiring.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'warehouse.js');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-test-'));
  dirs.push(dir);
  return dir;
}

/** A path for a new SQLite file in a fresh directory. */
export function tempDb(): string {
  return join(tempDir(), 'test.db');
}

/** An engine on a real temp SQLite file, virtual clock and seeded jitter unless told otherwise. */
export async function testWarehouse(config: Partial<WarehouseConfig> = {}): Promise<Warehouse> {
  return createWarehouse({ db: tempDb(), clock: 'virtual', seed: 1, virtualStart: Date.UTC(2026, 0, 1, 9), ...config });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `bin/warehouse.js` as a process. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export interface InvariantReport {
  violations: string[];
}

/**
 * DESIGN §8, read straight from the SQLite file (independent of the engine's code):
 * no negative on-hand; movements sum to on-hand per SKU; at most one movement per (order, type);
 * reserved orders have exactly one reservation movement, failed ones none; every order is final
 * or has exactly one live job.
 */
export function checkInvariants(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const v: string[] = [];
    for (const r of db.prepare(`SELECT sku, on_hand FROM inventory WHERE on_hand < 0`).all() as Array<{ sku: string; on_hand: number }>) {
      v.push(`negative on-hand: ${r.sku} ${r.on_hand}`);
    }
    const sums = db
      .prepare(
        `SELECT i.sku, i.on_hand, COALESCE((SELECT SUM(qty) FROM movements m WHERE m.sku = i.sku), 0) AS total FROM inventory i`,
      )
      .all() as Array<{ sku: string; on_hand: number; total: number }>;
    for (const r of sums) if (r.on_hand !== r.total) v.push(`ledger mismatch: ${r.sku} on-hand ${r.on_hand}, movements sum ${r.total}`);
    const orphanSkus = db.prepare(`SELECT DISTINCT sku FROM movements WHERE sku NOT IN (SELECT sku FROM inventory)`).all() as Array<{ sku: string }>;
    for (const r of orphanSkus) v.push(`movements for unknown SKU ${r.sku}`);
    const dup = db.prepare(`SELECT order_id, type, COUNT(*) n FROM movements WHERE order_id IS NOT NULL GROUP BY order_id, type HAVING n > 1`).all() as Array<{
      order_id: number;
      type: string;
    }>;
    for (const r of dup) v.push(`duplicate ${r.type} movement for order ${r.order_id}`);
    const orders = db
      .prepare(
        `SELECT o.id, o.status,
           (SELECT COUNT(*) FROM movements m WHERE m.order_id = o.id AND m.type = 'reservation') AS reservations,
           (SELECT COUNT(*) FROM jobs j WHERE j.order_id = o.id) AS jobs
         FROM orders o`,
      )
      .all() as Array<{ id: number; status: string; reservations: number; jobs: number }>;
    for (const o of orders) {
      if (o.status === 'reserved' && o.reservations !== 1) v.push(`reserved order ${o.id} has ${o.reservations} reservation movements`);
      if (o.status === 'failed' && o.reservations !== 0) v.push(`failed order ${o.id} has ${o.reservations} reservation movements`);
      const final = o.status === 'reserved' || o.status === 'failed';
      if (!final && o.jobs !== 1) v.push(`order ${o.id} is ${o.status} with ${o.jobs} live jobs (expected exactly 1)`);
    }
    return v;
  } finally {
    db.close();
  }
}
