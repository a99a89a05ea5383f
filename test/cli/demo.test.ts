/**
 * `warehouse demo`: the built-in tour runs to its end without input (--auto), narrates every
 * branch of the flow naming the design's parts, and leaves nothing behind; with --dashboard the
 * page serves the demo's database until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../helpers.js';

const dbOf = (out: string) => /A fresh database: (\S+) \((?:removed|kept) at the end\)/.exec(out)?.[1];

describe('warehouse demo', () => {
  it('--auto runs the tour to its end, narrating every branch and the parts of the design that act', async () => {
    const r = await runCli(['demo', '--auto', '--pace', '0s']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    const text = out.replace(/\n\s*/g, ' ');
    // every branch, as the narration says it
    for (const said of [
      '10 on hand covered 3', // local stock
      'Check 1: ok, the supplier delivered', // supplier ok
      'Check 2: delayed. That is retry 2 of the delayed budget (2)', // delayed twice, then ok
      'delayed again, and the delayed budget (2 retries) is used up', // delayed out
      'Check 1: fail, the supplier cannot deliver', // fail
      'The supplier refused the reservation', // rejected
      "The supplier's reserve call failed (timeout), a transient error", // transient errors
      'goes to the dead-letter store', // a dead letter
    ]) {
      expect(text).toContain(said);
    }
    // the parts of the design
    for (const part of ['transactional outbox', "inventory row's write lock", 'Idempotency-Key order-2', 'the retry budget', 'the delayed budget'])
      expect(text).toContain(part);
    expect(out).toMatch(/✓ local stock, ✓ supplier ok, ✓ delayed, then ok, ✓ delayed out,\n\s+✓ supplier fail, ✓ rejected, ✓ transient errors, ✓ dead letter/);
    expect(out).not.toContain('not in this story');
    expect(out).toContain('warehouse check: every invariant holds');
    for (const line of out.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    // state changes as they happen, and a header per moment of the story
    expect(out).toMatch(/^ {4}state: awaiting_restock → failed$/m);
    expect(out).toMatch(/^── time 4:05\.\d{3} ─+$/m); // the timeout, 5 s after the second attempt
    const db = dbOf(out);
    expect(db).toBeDefined();
    expect(existsSync(dirname(db!))).toBe(false);
  });

  it('--json prints how each order ended and the branches visited; the narration goes to stderr', async () => {
    const r = await runCli(['--json', 'demo', '--auto', '--pace', '0s']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.branches).toEqual({
      'local stock': true,
      'supplier ok': true,
      'delayed, then ok': true,
      'delayed out': true,
      'supplier fail': true,
      rejected: true,
      'transient errors': true,
      'dead letter': true,
    });
    expect(result.orders.map((o: { label: string; status: string }) => `${o.label}:${o.status}`)).toEqual([
      'local:reserved',
      'supplier-ok:reserved',
      'delayed-ok:reserved',
      'delayed-out:failed',
      'supplier-fail:failed',
      'rejected:failed',
      'transient:reserved',
      'dead-letter:failed',
    ]);
    expect(result.check).toEqual({ ok: true, violations: [] });
    expect(r.stderr).toContain('transactional outbox');
  });

  it('replays a scenario of your own, saying which branches it leaves out', async () => {
    const r = await runCli(['demo', join(ROOT, 'scenarios', 'delayed-twice.yaml'), '--auto', '--pace', '0s', '--keep']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ delayed, then ok/);
    expect(r.stdout).toMatch(/· local stock \(not in this story\)/);
    const db = dbOf(r.stdout)!;
    expect(existsSync(db)).toBe(true); // --keep
  });

  it('refuses a malformed scenario with file:line:col, exit 2', async () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'name: bad\nsteps:\n  - at: soon\n    order: { id: a, sku: W, qty: 1 }\n');
    const r = await runCli(['demo', file, '--auto']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:3:\d+: .*duration/);
  });

  it('--dashboard serves the demo database; the page gets the clock once the story ends; Ctrl-C stops it', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--auto', '--pace', '0s', '--dashboard', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_API_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('Ctrl-C to stop') && resolve()));
    const url = /Dashboard: (http:\/\/\S+)\//.exec(out)![1]!;
    const overview = (await (await fetch(`${url}/api/overview`)).json()) as {
      orders: Record<string, number>;
      clock: { paced: boolean; lockedBy: string | null };
    };
    expect(overview.orders).toEqual({ pending: 0, awaiting_restock: 0, reserved: 4, failed: 4, cancelling: 0, cancelled: 0, expired: 0, fulfilled: 0 });
    expect(overview.clock).toMatchObject({ paced: true, lockedBy: null });
    expect((await fetch(`${url}/`)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(dirname(dbOf(out)!))).toBe(false);
  });

  it('--dashboard: Step on the page moves the story on, one moment each, as Enter would; the other clock controls wait for its end', async () => {
    // a pace of an hour: only the page moves this story
    const child = spawn(process.execPath, [BIN, 'demo', '--pace', '1h', '--dashboard', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_API_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const moments = () => out.split('\n').filter((l) => l.startsWith('── ')).length;
    await new Promise<void>((resolve) => child.stdout.on('data', () => moments() >= 1 && resolve()));
    const url = /Dashboard: (http:\/\/\S+)\//.exec(out)![1]!;
    expect(out).toContain('One moment every 3600 s, or Step on the page.');
    const clock = (body: object) => fetch(`${url}/api/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await clock({ action: 'pause' })).status).toBe(409);
    expect(moments()).toBe(1);
    for (let n = 2; n <= 4; n++) {
      const stepped = await clock({ action: 'step' });
      expect(stepped.status).toBe(200);
      // one moment per Step (its narration comes through the pipe, which may trail the answer a little)
      for (let i = 0; i < 100 && moments() < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(moments()).toBe(n);
      expect(((await stepped.json()) as { lockedBy: string | null }).lockedBy).toBe('the demo');
    }
    child.kill('SIGINT');
    await exited;
  });
});

// issue 18 defect 7: the temporary database was left behind (and an EPIPE printed a stack trace)
describe('warehouse demo stopped before its end', () => {
  /** the demo as a process, resolved once it has narrated its first moment */
  async function started(pace: string) {
    const child = spawn(process.execPath, [BIN, 'demo', '--auto', '--pace', pace], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    await new Promise<void>((resolve) => child.stdout.on('data', () => /^── /m.test(out) && resolve()));
    const db = dbOf(out)!;
    expect(existsSync(db)).toBe(true);
    return { child, db, exited, out: () => out, err: () => err };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('on %s mid-story: removes its temporary database, says where the orders stand, and exits 0', async (signal) => {
    const demo = await started('1h'); // it would wait an hour for its next moment
    demo.child.kill(signal);
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(dirname(demo.db))).toBe(false);
    expect(demo.out()).toContain('Where each order stands (the story was stopped):');
    expect(demo.err()).toBe('');
  });

  it('when its reader goes away (`| head`: EPIPE): removes its temporary database, without a stack trace', async () => {
    const demo = await started('100ms');
    demo.child.stdout.destroy(); // the next moment's narration meets a closed pipe
    const { code } = await demo.exited;
    expect(code).toBe(0);
    expect(existsSync(dirname(demo.db))).toBe(false);
    expect(demo.err()).not.toMatch(/EPIPE|\n\s+at /);
  });

  it('refuses --db, saying why and what to use instead, and touches no file', async () => {
    const file = join(tempDir(), 'mine.db');
    const r = await runCli(['--db', file, 'demo', '--auto', '--pace', '0s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`demo runs on a fresh temporary database of its own, never on --db (its story would add orders and stock counts to ${file})`);
    expect(r.stderr).toContain("--keep keeps the demo's database");
    expect(r.stdout).toBe('');
    expect(existsSync(file)).toBe(false);
  });
});
