/**
 * Issue 9, reproductions 1, 2 and 6: the disk under the database fills up. Before, the order
 * failed `supplier_unavailable`, the runner stopped, and the failed request's Idempotency-Key stayed
 * in flight. Now: writes are refused with "disk full" (HTTP 507, CLI exit 1), nothing is stored,
 * reads keep working, /healthz says why, no order fails, and everything resumes by itself once
 * there is room.
 *
 * The disk is a real tmpfs of 2 MiB, mounted by the test: it needs root (CI and these machines run
 * as root). Elsewhere it is skipped with one printed line, except under CI=true, where that fails.
 * (A page cap, SQLite's max_page_count, was tried as the stand-in: it does not fail writes that fit
 * in free space inside existing pages, so it is no test of a full disk.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants, runCli, tempDir } from '../helpers.js';
import { allOrders, eventLoopLagMaxMs, faultBoundMs, post, spawnCli, supplierService, untilAllFinal } from './support.js';
import { putScript } from '../supplier/support.js';

const FAST = ['--check-delay', '1s', '--backoff-base', '100ms', '--backoff-cap', '1s', '--lease', '2s'];

interface Disk {
  dir: string;
  fill(db: string): void;
  free(): void;
  release(): void;
}

/** A small disk of its own: a 2 MiB tmpfs, mounted for the test (root only); null when it cannot be. */
function smallDisk(): Disk | null {
  const dir = join(tempDir(), 'disk');
  mkdirSync(dir);
  const filler = join(dir, 'filler');
  const truncateWal = (db: string) => {
    // the WAL is reused in place after a checkpoint: truncate it so the next write must grow the file
    const c = new Database(db);
    c.pragma('wal_checkpoint(TRUNCATE)');
    c.close();
  };
  if (process.getuid?.() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
      return {
        dir,
        fill(db) {
          truncateWal(db);
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
    } catch {
      // no mount allowed here (a container without the capability): fall through to the cap
    }
  }
  return null;
}

const disks: Disk[] = [];
afterEach(() => {
  for (const d of disks.splice(0)) d.release();
});

describe('the disk under the database fills up', () => {
  it('refuses writes with "disk full", keeps reads, fails no order, and resumes by itself once there is room', { timeout: 90_000 }, async (t) => {
    const disk = smallDisk();
    if (!disk) {
      if (process.env.CI === 'true') throw new Error('CI=true: the disk-full test needs to mount a tmpfs (run as root)');
      console.log('skipped: the disk-full test mounts a tmpfs, which needs root');
      return t.skip();
    }
    disks.push(disk);
    const db = join(disk.dir, 'engine.db');
    const supplierUrl = await supplierService(tempDir()); // the supplier's own disk is not ours
    // the supplier answers two status checks `delayed` first: on a loaded machine a check or two
    // may come due before the disk is full, and the order must still be waiting when it is
    expect((await putScript(supplierUrl, 'SUPPLIED', { status: ['delayed', 'delayed', 'ok'] })).status).toBe(200);
    expect((await runCli(['--db', db, 'inventory', 'set', 'LOCAL', '100'])).code).toBe(0);
    const serve = spawnCli(['--db', db, '--supplier-url', supplierUrl, 'serve', '--port', '0', '--rate-limit', '0', ...FAST]);
    const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);

    expect((await post(api!, '/api/orders', { sku: 'LOCAL', qty: 1 })).status).toBe(201);
    // an order that waits on the supplier: its check comes due while the disk is full
    const waiting = await post(api!, '/api/orders', { sku: 'SUPPLIED', qty: 2 });
    expect(waiting.status).toBe(201);
    for (let i = 0; i < 100; i++) {
      const o = (await allOrders(api!)).find((x) => x.id === waiting.body.id);
      if (o?.status === 'awaiting_restock') break;
      await new Promise((r) => setTimeout(r, 50));
    }

    const baselineLagMs = await eventLoopLagMaxMs(api!); // the run so far; starts the window from the disk filling to its freeing
    const probe = async () => {
      const t0 = performance.now();
      await fetch(`${api}/healthz`);
      await fetch(`${api}/api/orders/1`);
      return performance.now() - t0;
    };
    disk.fill(db);
    const refused = await fetch(`${api}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'full-1' },
      body: JSON.stringify({ sku: 'LOCAL', qty: 1 }),
    });
    expect(refused.status).toBe(507);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/^disk full/);
    // reads keep working
    expect((await fetch(`${api}/api/orders/1`)).status).toBe(200);
    expect((await fetch(`${api}/api/inventory/LOCAL`)).status).toBe(200);
    const health = await fetch(`${api}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { detail: string }).detail).toMatch(/^database disk full: disk full: free space on /);
    // the CLI says the same, exit 1, and stores nothing
    const cli = await runCli(['--db', db, 'order', 'create', '--sku', 'LOCAL', '--qty', '1', '--no-wait']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^error: disk full: free space on .*; writes resume by themselves once there is room\n$/);
    // the supplier order's check comes due and cannot be committed: it waits, it does not fail
    // let the check's due time and a lease pass while full, probing health and a read meanwhile
    let slowestProbeMs = 0;
    for (const until = performance.now() + 2_500; performance.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      slowestProbeMs = Math.max(slowestProbeMs, await probe());
    }
    expect((await allOrders(api!)).find((o) => o.id === waiting.body.id)?.status).toBe('awaiting_restock');
    const lagMaxMs = await eventLoopLagMaxMs(api!);
    console.log(`disk-full fault: ${JSON.stringify({ slowestProbeMs, lagMaxMs, baselineLagMs })}`);
    // health and reads answered within the promise, the event loop never held longer, beyond what
    // the machine did to the server before the disk filled
    expect(slowestProbeMs).toBeLessThan(faultBoundMs(baselineLagMs));
    expect(lagMaxMs).toBeLessThan(faultBoundMs(baselineLagMs));

    disk.free();
    // the same Idempotency-Key is free for the retry at once (the failed request released it)
    const retried = await fetch(`${api}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'full-1' },
      body: JSON.stringify({ sku: 'LOCAL', qty: 1 }),
    });
    expect(retried.status).toBe(201);
    const orders = await untilAllFinal(api!);
    expect(orders.map((o) => `${o.id} ${o.sku} ${o.status} ${o.failureReason}`)).toEqual([
      '1 LOCAL reserved null',
      `${waiting.body.id} SUPPLIED reserved null`,
      `${((await retried.json()) as { id: number }).id} LOCAL reserved null`,
    ]);
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect(checkInvariants(db)).toEqual([]);
  });
});
