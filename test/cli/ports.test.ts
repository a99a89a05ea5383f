/**
 * Issue 18 defect 6: a port held by another program is the user's to fix. Each command that
 * listens exits 2 naming the port and the flag that changes it (before: exit 1, "internal error …
 * this is a bug"). The port is really held, by a listener in this test process.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

let holder: Server;
let port: number;
beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
  port = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => holder.close(resolve));
});

const NOT_A_BUG = /internal error|a bug/;

describe('a port another program holds', () => {
  it('serve --port: exit 2, naming the port and --port', async () => {
    const r = await runCli(['--db', join(tempDir(), 'w.db'), 'serve', '--port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use by another program: pass another --port (0 picks a free one)`);
    expect(r.stderr).not.toMatch(NOT_A_BUG);
  });

  it('demo --dashboard: exit 2, naming the port and --port, and its temporary database is removed', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('warehouse-demo-')));
    const r = await runCli(['demo', '--auto', '--pace', '0s', '--dashboard', '--port', String(port)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use by another program: pass another --port (0 picks a free one)`);
    expect(r.stderr).not.toMatch(NOT_A_BUG);
    const left = readdirSync(tmpdir()).filter((f) => f.startsWith('warehouse-demo-') && !before.has(f) && existsSync(join(tmpdir(), f, 'demo.db')));
    expect(left).toEqual([]);
  });

  it('supplier serve --port: exit 2, naming the port and --port', async () => {
    const r = await runCli(['supplier', 'serve', '--port', String(port), '--state', join(tempDir(), 's.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use by another program: pass another --port (0 picks a free one)`);
    expect(r.stderr).not.toMatch(NOT_A_BUG);
  });

  it("up: exit 2 before starting anything, naming the port and up's own flag for it (--port, --supplier-port)", async () => {
    const db = join(tempDir(), 'w.db');
    const api = await runCli(['--db', db, 'up', '--workers', '1', '--port', String(port), '--supplier-port', '0']);
    expect(api.code).toBe(2);
    expect(api.stderr).toContain(`port ${port} on 127.0.0.1 is in use by another program: pass another --port (0 picks a free one)`);
    expect(api.stdout).not.toMatch(/listening/);
    const supplier = await runCli(['--db', db, 'up', '--workers', '1', '--port', '0', '--supplier-port', String(port)]);
    expect(supplier.code).toBe(2);
    expect(supplier.stderr).toContain(`port ${port} on 127.0.0.1 is in use by another program: pass another --supplier-port (0 picks a free one)`);
    expect(supplier.stdout).not.toMatch(/listening/);
    for (const r of [api, supplier]) expect(r.stderr).not.toMatch(NOT_A_BUG);
  });
});
