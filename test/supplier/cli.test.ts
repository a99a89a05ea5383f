/**
 * The command line around the supplier: an order's own script (`order create --supplier-status`)
 * kept with the order, the `supplier serve` command and its bad input, the script file format.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseScriptText } from '../../src/supplier/script-file.js';
import { runCli, tempDb, tempDir } from '../helpers.js';
import { ALIAS_BOMB, FIRST_ALIAS } from '../sim/alias-bomb.js';
import { spawnCli } from './support.js';

const order = (r: { stdout: string }) => JSON.parse(r.stdout) as { id: number; status: string; supplierChecks: number; failureReason: string | null };

describe('order create --supplier-status', () => {
  it("scripts that order only: a later order of the same SKU hears the SKU's script", async () => {
    const db = tempDb();
    const first = await runCli([
      '--db',
      db,
      '--json',
      'order',
      'create',
      '--sku',
      'BOLT',
      '--qty',
      '2',
      '--clock',
      'virtual',
      '--supplier-status',
      'delayed,fail',
    ]);
    expect(order(first)).toMatchObject({ status: 'failed', failureReason: 'supplier_failed', supplierChecks: 2 });
    const second = await runCli(['--db', db, '--json', 'order', 'create', '--sku', 'BOLT', '--qty', '2', '--clock', 'virtual']);
    expect(order(second)).toMatchObject({ status: 'reserved', supplierChecks: 1 });
    const file = new Database(db, { readonly: true });
    expect(file.prepare('SELECT idempotency_key AS key, order_script AS script FROM mock_conversations ORDER BY rowid').all()).toEqual([
      { key: expect.stringMatching(new RegExp(`^order-${order(first).id}\\.[0-9a-f]{16}$`)), script: '{"status":["delayed","fail"]}' },
      { key: expect.stringMatching(new RegExp(`^order-${order(second).id}\\.[0-9a-f]{16}$`)), script: null },
    ]);
    file.close();
  });

  it('with --no-wait, stores the script with the order for the `warehouse work` that runs it', async () => {
    const db = tempDb();
    const queued = await runCli(['--db', db, '--json', 'order', 'create', '--sku', 'NUT', '--qty', '1', '--no-wait', '--supplier-reserve', 'error,rejected']);
    expect(order(queued)).toMatchObject({ status: 'pending' });
    expect((await runCli(['--db', db, 'work', '--until-idle', '--clock', 'virtual'])).code).toBe(0);
    const shown = await runCli(['--db', db, '--json', 'order', 'show', String(order(queued).id)]);
    expect(order(shown)).toMatchObject({ status: 'failed', failureReason: 'supplier_rejected' });
  });

  it('is refused with --supplier-url, which replaces the mock it scripts, and nothing is stored', async () => {
    const db = tempDb();
    const r = await runCli(['--db', db, '--supplier-url', 'http://127.0.0.1:9', 'order', 'create', '--sku', 'A', '--qty', '1', '--supplier-status', 'ok']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--supplier-status and --supplier-reserve script the in-process mock.*warehouse supplier serve --script/);
    expect((await runCli(['--db', db, '--json', 'order', 'list'])).stdout.trim()).toBe('[]');
    const w = await runCli(['--db', db, '--supplier-url', 'http://127.0.0.1:9', 'work', '--until-idle', '--supplier-reserve', 'rejected']);
    expect(w.code).toBe(2);
  });
});

describe('warehouse supplier serve', () => {
  it('prints its URL, answers, and stops on SIGINT with exit 0', async () => {
    const dir = tempDir();
    const p = spawnCli(['supplier', 'serve', '--port', '0', '--state', join(dir, 'supplier.db')]);
    const [, url] = await p.waitFor(/supplier listening on (http:\/\/\S+) /);
    const res = await fetch(`${url}/supplier/reserve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'order-1' },
      body: '{"sku":"A","qty":1}',
    });
    expect(await res.json()).toEqual({ accepted: true, ref: 'R.order-1.A' });
    await p.waitFor(/reserve {2}order-1 {2}A × 1 {2}→ accepted {2}R\.order-1\.A/);
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const r = await runCli(['supplier', 'serve', '--port', '0', '--host', '0.0.0.0', '--state', join(tempDir(), 's.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without WAREHOUSE_SUPPLIER_TOKEN.*openssl rand -hex 32/);
  });

  it('refuses a script file with mistakes, pointing at each, and does not start', async () => {
    const dir = tempDir();
    const file = join(dir, 'moods.yaml');
    writeFileSync(file, 'WIDGET:\n  reserve: accepted\n  status: [delayed, maybe]\n"bad sku": { reserve: rejected }\n');
    const r = await runCli(['supplier', 'serve', '--port', '0', '--state', join(dir, 's.db'), '--script', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:21: not a supplier status answer`);
    expect(r.stderr).toContain(`${file}:4:1: "bad sku" is not a SKU`);
    expect(r.stdout).not.toMatch(/listening/);
  });

  // issue 18 defect 6: "internal error … a bug", exit 1
  it('refuses an alias bomb as a script file, at its first alias, and does not start', async () => {
    const dir = tempDir();
    const file = join(dir, 'laughs.yaml');
    writeFileSync(file, ALIAS_BOMB);
    const r = await runCli(['supplier', 'serve', '--port', '0', '--state', join(dir, 's.db'), '--script', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:${FIRST_ALIAS}: YAML: the aliases (*name) from here on expand to more than 100 copies`);
    expect(r.stderr).not.toMatch(/internal error|a bug/);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('says so when the state file is not a database', async () => {
    const dir = tempDir();
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'shopping list\n'.repeat(20));
    const r = await runCli(['supplier', 'serve', '--port', '0', '--state', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/notes\.txt is not a usable SQLite database/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a supplier script file', () => {
  it('maps SKUs (trimmed and upper-cased) or * to scripts', () => {
    expect(parseScriptText('s.yaml', 'widget: { reserve: [error, accepted], status: delayed }\n"*": { reserve: rejected }\n')).toEqual({
      WIDGET: { reserve: ['error', 'accepted'], status: ['delayed'] },
      '*': { reserve: ['rejected'] },
    });
  });

  it("takes a scenario file's supplier block", () => {
    const scenario = 'name: demo\nsupplier:\n  GADGET: { status: [fail] }\nsteps:\n  - at: 0s\n    order: { id: a, sku: GADGET, qty: 1 }\n';
    expect(parseScriptText('demo.yaml', scenario)).toEqual({ GADGET: { status: ['fail'] } });
  });

  it.each([
    ['a list', '- WIDGET\n', /s\.yaml:1:1: a supplier script is a YAML mapping/],
    ['an unknown key', 'WIDGET: { reserve: accepted, mood: bad }\n', /s\.yaml:1:\d+: unknown key in WIDGET: mood \(expected reserve, status\)/],
    ['a SKU twice', 'widget: {}\nWIDGET: {}\n', /s\.yaml:2:1: SKU WIDGET appears twice/],
    ['broken YAML', 'WIDGET: { reserve: [accepted\n', /s\.yaml:\d+:\d+: YAML:/],
  ])('reports %s with its place', (_what, text, message) => {
    expect(() => parseScriptText('s.yaml', text)).toThrow(message);
  });
});
