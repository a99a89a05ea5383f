/**
 * Issue 13 in the terminal: state changes printed as they happen, `order explain`,
 * `order show --format md`, and human output that fits 80 columns.
 */
import { existsSync } from 'node:fs';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { table } from '../../src/cli/render.js';
import { runCli, tempDb } from '../helpers.js';
import { spawnCli } from '../supplier/support.js';
import { unwrap } from './unwrap.js';

const fits = (text: string) => text.split('\n').filter((l) => [...l].length > 80);

describe('state changes in the terminal', () => {
  it('order create prints each state change right after the events of the commit that made it', async () => {
    const r = await runCli(['--db', tempDb(), 'order', 'create', '--sku', 'W', '--qty', '2', '--clock', 'virtual', '--supplier-status', 'delayed,ok']);
    expect(r.code).toBe(0);
    const lines = unwrap(r.stdout).split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(lines[at('SupplierReservationAccepted') + 1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} +\+0\.000s {2}state: pending → awaiting_restock$/);
    expect(lines[at('OrderReserved') + 1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} +\+30\.000s {2}state: awaiting_restock → reserved$/);
    expect(lines.filter((l) => l.includes('state:'))).toHaveLength(2);
  });

  it('work prints them too, with the order', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'order', 'create', '--sku', 'W', '--qty', '1', '--no-wait']);
    const r = await runCli(['--db', db, 'work', '--until-idle', '--clock', 'virtual', '--supplier-reserve', 'rejected']);
    expect(r.code).toBe(0);
    // since created: the order was made by the process before, so however long this one took to start
    expect(unwrap(r.stdout)).toMatch(/\+\d+\.\d{3}s {2}#1 {4}state: pending → failed$/m);
  });

  it('with --json, nothing but the JSON', async () => {
    const r = await runCli(['--db', tempDb(), '--json', 'order', 'create', '--sku', 'W', '--qty', '1', '--clock', 'virtual']);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'reserved' });
    expect(r.stderr).not.toContain('state:');
  });
});

describe('order explain', () => {
  it('tells why an order failed: its states, the story in one line, and each step', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'inventory', 'set', 'WIDGET', '7']);
    await runCli(['--db', db, 'order', 'create', '--sku', 'WIDGET', '--qty', '30', '--clock', 'virtual', '--supplier-status', 'delayed']);
    const r = await runCli(['--db', db, 'order', 'explain', '1']);
    expect(r.code).toBe(0);
    const db16 = (JSON.parse((await runCli(['--db', db, '--json', 'check'])).stdout) as { databaseId: string }).databaseId.slice(0, 16);
    const text = r.stdout.replace(/\n(?!\n)/g, ' ');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['order #1 WIDGET × 30: failed (supplier_delayed)', 'states: pending → awaiting_restock → failed']);
    expect(text).toContain(
      `short by 23 → asked the supplier (accepted, ref R.order-1.${db16}.WIDGET) → checked at +15 s (delayed), +30 s (delayed), +45 s (delayed) → the delayed budget (2 retries) was used up → failed: supplier_delayed`,
    );
    expect(text).toMatch(/transactional outbox/);
    expect(fits(r.stdout)).toEqual([]);
    const json = JSON.parse((await runCli(['--db', db, '--json', 'order', 'explain', '1'])).stdout);
    expect(json).toMatchObject({ orderId: 1, status: 'failed', pathText: 'pending → awaiting_restock → failed', next: null });
    expect(json.events[0]).toMatchObject({ type: 'OrderCreated', since: 0, at: expect.stringMatching(/Z$/) });
  });

  it('says what an order still waits for', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'order', 'create', '--sku', 'W', '--qty', '1', '--no-wait']);
    const r = await runCli(['--db', db, 'order', 'explain', '1']);
    expect(r.stdout).toMatch(/^next: ReserveInventory is queued \(stored with the order: the outbox\)/m);
  });

  it('names a missing order and a bad id', async () => {
    const db = tempDb();
    const missing = await runCli(['--db', db, 'order', 'explain', '9']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/order 9 not found/);
    const bad = await runCli(['--db', db, 'order', 'explain', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/an order id is a whole number/);
  });
});

describe('order show --format md', () => {
  it('writes the timeline as a Markdown table, with the states and the account', async () => {
    const db = tempDb();
    await runCli(['--db', db, 'order', 'create', '--sku', 'W', '--qty', '1', '--clock', 'virtual', '--supplier-reserve', 'rejected']);
    const r = await runCli(['--db', db, 'order', 'show', '1', '--format', 'md']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('## Order #1: W × 1, failed (supplier_rejected)');
    expect(lines).toContain('| time (UTC) | since created | event | details |');
    expect(lines).toContain('| --- | ---: | --- | --- |');
    expect(lines.filter((l) => /^\| \d\d:\d\d:\d\d\.\d{3} \| \+\d+\.\d{3}s \| \w+ \|/.test(l)).map((l) => l.split(' | ')[2])).toEqual([
      'OrderCreated',
      'SupplierReservationRequested',
      'SupplierReservationRejected',
      'OrderFailed',
    ]);
    expect(r.stdout).toContain('States: pending → failed.');
    const wrong = await runCli(['--db', db, 'order', 'show', '1', '--format', 'pdf']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Allowed choices are text, md/);
  });
});

describe('80 columns', () => {
  it('the human output of a busy order fits: create, show, explain, list, jobs', async () => {
    const db = tempDb();
    const outputs = [
      (
        await runCli([
          '--db',
          db,
          'order',
          'create',
          '--sku',
          'VERY-LONG-SKU-NAME-42',
          '--qty',
          '1',
          '--clock',
          'virtual',
          '--supplier-reserve',
          'error,timeout,malformed,accepted',
          '--supplier-status',
          'delayed,ok',
        ])
      ).stdout,
      (await runCli(['--db', db, 'order', 'create', '--sku', 'B', '--qty', '1', '--clock', 'virtual', '--supplier-reserve', 'error', '--job-attempts', '2']))
        .stdout,
      (await runCli(['--db', db, 'order', 'show', '1'])).stdout,
      (await runCli(['--db', db, 'order', 'explain', '1'])).stdout,
      (await runCli(['--db', db, 'order', 'list'])).stdout,
      (await runCli(['--db', db, 'jobs', 'failed'])).stdout,
      (await runCli(['--db', db, 'inventory', 'movements', 'VERY-LONG-SKU-NAME-42'])).stdout,
    ];
    for (const out of outputs) expect(fits(out.replace(/^order #\d+ .*$/gm, ''))).toEqual([]); // the one-line summary names free values
    expect(outputs[4]).toMatch(/supplier_unavailable/);
  });

  it('a table wraps its widest column at word boundaries, keeping every word', () => {
    const c = new Chalk({ level: 0 });
    const long = 'supplier reserve answered with a body that is not JSON: "<html>502 upstream garbage</html>"';
    const t = table(['id', 'type', 'last error'], [[1, 'ReserveInventory', long]], c);
    expect(fits(t)).toEqual([]);
    const cells = t
      .split('\n')
      .map((l) => l.split('│')[3]?.trim() ?? '')
      .filter(Boolean)
      .join(' ');
    expect(cells).toBe(`last error ${long}`);
    expect(table(['a', 'b'], [['x', 'y']], c)).toBe(['┌───┬───┐', '│ a │ b │', '├───┼───┤', '│ x │ y │', '└───┴───┘'].join('\n'));
  });
});

describe('serve --clock virtual', () => {
  it('is refused with --no-runner (its clock controls wait for the runner), exit 2, nothing created', async () => {
    const db = tempDb();
    const r = await runCli(['--db', db, 'serve', '--port', '0', '--clock', 'virtual', '--no-runner']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--clock virtual needs the runner.*drop --no-runner/);
    expect(r.stdout).toBe('');
    expect(existsSync(db)).toBe(false);
  });
});

describe('serve logs', () => {
  const run = async (format: string[]) => {
    const serve = spawnCli(['--db', tempDb(), 'serve', '--port', '0', ...format]);
    const [, api] = await serve.waitFor(/listening on (http:\/\/\S+) /);
    const made = await fetch(`${api}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"W","qty":1}' });
    expect(made.status).toBe(201);
    // the order's first transition (the runner asks the mock supplier, which accepts)
    for (let i = 0; i < 200 && !/pending → awaiting_restock|"to":"awaiting_restock"/.test(serve.err()); i++) await new Promise((r) => setTimeout(r, 25));
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    return serve.err().trimEnd().split('\n');
  };

  it('are one human-readable line each with --log-format pretty: time, level, the record in words', async () => {
    const lines = await run(['--log-format', 'pretty']);
    expect(lines.find((l) => l.includes('POST /api/orders'))).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST \/api\/orders 201 [\d.]+ ms reqId=\S+$/);
    expect(lines.find((l) => l.includes('order 1:'))).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: order 1: pending → awaiting_restock jobId=1 attempt=1$/);
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
  });

  it('are JSON lines when stderr is not a terminal (the default, auto)', async () => {
    const lines = await run([]);
    const records = lines.map((l) => JSON.parse(l) as { msg: string; to?: string });
    expect(records.find((r) => r.msg === 'order transition')).toMatchObject({ orderId: 1, from: 'pending', to: 'awaiting_restock' });
  });
});
