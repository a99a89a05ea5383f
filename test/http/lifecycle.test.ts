/**
 * The real `warehouse serve` process: its printed URL, graceful shutdown with a job in flight,
 * and two servers side by side on one SQLite file. Everything waits on events (a log line, a
 * supplier call, a process exit), never on time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, checkInvariants, ROOT, tempDb } from '../helpers.js';

interface Proc {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  /** resolves with the first log line (JSON) that matches */
  logLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const procs: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

async function serve(db: string, globalArgs: string[] = [], serveArgs: string[] = []): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, '--db', db, ...globalArgs, 'serve', '--port', '0', ...serveArgs], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', WAREHOUSE_API_TOKEN: '', LOG_LEVEL: 'info' },
  });
  procs.push(child);
  let out = '';
  let err = '';
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    err += text;
    for (const raw of text.split('\n').filter(Boolean)) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.filter((w) => w.match(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`serve exited ${code} before listening: ${err}`)));
  });
  return {
    child,
    url,
    stderr: () => err,
    exited,
    logLine: (match) => {
      const seen = lines.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** A supplier that holds each reserve call until the test answers it. */
async function heldSupplier() {
  const held: Array<(body: unknown) => void> = [];
  const arrivals: Array<() => void> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      held.push((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
      arrivals.shift()?.();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** resolves when a call is being held */
    arrived: () => (held.length > 0 ? Promise.resolve() : new Promise<void>((r) => arrivals.push(r))),
    answer: (body: unknown) => held.shift()!(body),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('warehouse serve as a process', () => {
  it('on SIGTERM stops accepting, lets the running job finish, closes the database and exits 0', async () => {
    const supplier = await heldSupplier();
    const db = tempDb();
    const p = await serve(db, ['--supplier-url', supplier.url]);
    const created = await post(`${p.url}/api/order`, { sku: 'GADGET', qty: 2 });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };

    await supplier.arrived(); // the ReserveInventory job is now in flight, waiting on the supplier
    p.child.kill('SIGTERM');
    const stopped = await p.logLine((l) => String(l.msg).startsWith('stopped accepting requests'));
    expect(stopped.runningJobs).toBe(1);
    await expect(fetch(`${p.url}/healthz`)).rejects.toThrow(); // no longer listening
    expect(p.child.exitCode).toBeNull(); // still waiting for the job

    supplier.answer({ accepted: true, ref: 'REF-1' });
    expect(await p.exited).toBe(0);
    await supplier.close();

    const transition = await p.logLine((l) => l.msg === 'order transition' && l.orderId === id);
    expect(transition).toMatchObject({ from: 'pending', to: 'awaiting_restock', jobId: expect.any(String), attempt: 1 });
    const file = new Database(db, { readonly: true });
    expect(file.prepare('SELECT status, supplier_ref FROM orders WHERE id = ?').get(id)).toEqual({ status: 'awaiting_restock', supplier_ref: 'REF-1' });
    expect(file.prepare('SELECT type, status FROM jobs WHERE order_id = ?').all(id)).toEqual([{ type: 'CheckSupplierStatus', status: 'queued' }]);
    file.close();
    expect(checkInvariants(db)).toEqual([]);
  });

  it('runs two servers side by side on one file without overselling', async () => {
    const db = tempDb();
    const a = await serve(db, [], ['--supplier-reserve', 'rejected']);
    const b = await serve(db, [], ['--supplier-reserve', 'rejected']);
    expect(a.url).not.toBe(b.url);
    expect(
      (await fetch(`${a.url}/api/inventory/SHARED`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"onHand":15}' })).status,
    ).toBe(200);

    // 20 orders of 1 against 15 in stock, alternating servers; the mock supplier rejects the rest
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`${(i % 2 ? a : b).url}/api/orders`, { sku: 'SHARED', qty: 1 })));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ids = await Promise.all(replies.map(async (r) => ((await r.json()) as { id: number }).id));

    // an Idempotency-Key used on one server replays on the other
    const first = await post(`${a.url}/api/order`, { sku: 'OTHER', qty: 1 }, { 'idempotency-key': 'shared-key' });
    const again = await post(`${b.url}/api/order`, { sku: 'OTHER', qty: 1 }, { 'idempotency-key': 'shared-key' });
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(await first.json());

    // wait for every order to settle, as logged by whichever process ran its job
    const settled = (p: Proc, id: number) => p.logLine((l) => l.msg === 'order transition' && l.orderId === id && (l.to === 'reserved' || l.to === 'failed'));
    const finals = await Promise.all(ids.map((id) => Promise.race([settled(a, id), settled(b, id)])));
    const count = (to: string) => finals.filter((l) => l.to === to).length;
    expect(count('reserved')).toBe(15);
    expect(count('failed')).toBe(5);

    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(checkInvariants(db)).toEqual([]);
    const file = new Database(db, { readonly: true });
    expect(file.prepare(`SELECT on_hand FROM inventory WHERE sku = 'SHARED'`).get()).toEqual({ on_hand: 0 });
    file.close();
  });
});
