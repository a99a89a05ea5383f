/**
 * `warehouse up`: the supplier service, one `serve` and N `work` processes from one command, their
 * lines prefixed with their names; a worker killed with SIGKILL is started again; Ctrl-C (SIGINT to
 * `up`) stops them all and exits 0. On SQLite with the in-database queue, and on PostgreSQL with
 * Redis when both answer.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, tempDb, tempDir, tempPgUrl } from '../helpers.js';
import { pgUnavailable } from '../postgres/support.js';
import { redisOrSkip, testQueueUrl } from '../redis/support.js';

const haveBoth = (await redisOrSkip('`warehouse up` on PostgreSQL and Redis')) && !(await pgUnavailable());

function startUp(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: tempDir(),
    env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined, WAREHOUSE_API_TOKEN: '', REDIS_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const m = re.exec(out);
      if (m) return resolve(m);
      waiters.push({ re, resolve });
      void exited.then((code) => reject(new Error(`warehouse up exited (${code}) before printing ${re}:\n${out}\n${err}`)));
    });
  return { child, waitFor, exited, out: () => out, err: () => err };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** the pids whose parent is `parent`, from /proc */
const childrenOf = (parent: number) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(parent);
      } catch {
        return false;
      }
    });

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || performance.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cases = [
  { name: 'SQLite, the in-database queue', args: () => ['--database', tempDb(), 'up'], runs: true },
  { name: 'PostgreSQL and Redis', args: () => ['--database', tempPgUrl(), 'up', '--queue', testQueueUrl()], runs: haveBoth },
];

describe('warehouse up', () => {
  for (const c of cases) {
    it.runIf(c.runs)(
      `${c.name}: starts the cluster, runs an order through the supplier, restarts a killed worker, stops everything on Ctrl-C`,
      { timeout: 60_000 },
      async ({ onTestFailed }) => {
        const up = startUp([
          ...c.args(),
          '--workers',
          '2',
          '--port',
          '0',
          '--supplier-port',
          '0',
          '--supplier-state',
          join(tempDir(), 'supplier.db'),
          '--check-delay',
          '300ms',
          '--lease',
          '1s',
        ]);
        onTestFailed(() => {
          up.child.kill('SIGKILL');
          console.log(`warehouse up printed:\n${up.out()}\n${up.err()}`);
        });
        const [, api, supplier] = await up.waitFor(/cluster up: API (http:\/\/\S+) · supplier (http:\/\/\S+) · 2 worker\(s\)/);
        expect(up.out()).toMatch(/^supplier +\| supplier listening on /m);
        expect(up.out()).toMatch(/^serve +\| listening on /m);
        // workers start in any order: their pids by name (the worker id is <host>:<pid>:<random>)
        const pid = Object.fromEntries([...up.out().matchAll(/^work (\d) +\| worker [^:]+:(\d+):/gm)].map((m) => [m[1], Number(m[2])]));
        const pids = [pid['1']!, pid['2']!];
        expect(pids.every((p) => p > 0)).toBe(true);

        const res = await fetch(`${api}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":2}' });
        expect(res.status).toBe(201);
        const { id } = (await res.json()) as { id: number };
        const order = await until(
          async () => (await (await fetch(`${api}/api/orders/${id}`)).json()) as { status: string },
          (o) => o.status === 'reserved',
        );
        expect(order.status).toBe('reserved');
        const conversations = (await (await fetch(`${supplier}/mock/conversations`)).json()) as Array<{ key: string }>;
        // the key carries the database's identity (docs/design.md §5.2)
        expect(conversations.map((x) => x.key)).toEqual([expect.stringMatching(new RegExp(`^order-${id}\\.[0-9a-f]{16}$`))]);

        process.kill(pids[0]!, 'SIGKILL');
        await up.waitFor(/^work 1 +\| exited \(SIGKILL\); starting it again in 1 s$/m);
        const [, again] = await up.waitFor(/work 1 +\| exited[\s\S]*^work 1 +\| worker [^:]+:(\d+):/m);
        expect(Number(again)).not.toBe(pids[0]);

        up.child.kill('SIGINT');
        expect(await up.exited).toBe(0);
        expect([pids[1], Number(again)].filter((p) => alive(p!))).toEqual([]);
        expect(up.out()).toMatch(/^work 2 +\| .*0 queued/m);
      },
    );
  }

  it('its members stop by themselves when `up` is killed with SIGKILL (no process left running unwatched)', { timeout: 60_000 }, async ({ onTestFailed }) => {
    const up = startUp(['--database', tempDb(), 'up', '--workers', '1', '--port', '0', '--supplier-port', '0', '--supplier-state', join(tempDir(), 's.db')]);
    const members = () => childrenOf(up.child.pid!);
    let seen: string[] = [];
    onTestFailed(() => {
      up.child.kill('SIGKILL');
      for (const pid of seen) if (alive(Number(pid))) process.kill(Number(pid), 'SIGKILL');
      console.log(`warehouse up printed:\n${up.out()}\n${up.err()}`);
    });
    const [, api] = await up.waitFor(/cluster up: API (http:\/\/\S+) · supplier (http:\/\/\S+) · 1 worker/);
    seen = members();
    expect(seen).toHaveLength(3);
    up.child.kill('SIGKILL');
    await up.exited;
    // each notices within a second that its parent is gone and stops as on SIGTERM
    const left = await until(
      async () => seen.filter((pid) => alive(Number(pid))),
      (l) => l.length === 0,
    );
    expect(left).toEqual([]);
    await expect(fetch(`${api}/healthz`)).rejects.toThrow();
  });

  it('passes secrets to its children through the environment, never their command lines (which `ps` shows)', { timeout: 60_000 }, async ({ onTestFailed }) => {
    const token = 'supplier-secret-0123456789abcdefghij';
    const db = tempDb();
    const up = startUp(['--database', db, 'up', '--workers', '1', '--port', '0', '--supplier-port', '0', '--supplier-state', join(tempDir(), 's.db')], {
      WAREHOUSE_SUPPLIER_TOKEN: token,
    });
    onTestFailed(() => {
      up.child.kill('SIGKILL');
      console.log(`warehouse up printed:\n${up.out()}\n${up.err()}`);
    });
    const [, api, supplier] = await up.waitFor(/cluster up: API (http:\/\/\S+) · supplier (http:\/\/\S+) · 1 worker/);
    const children = childrenOf(up.child.pid!);
    expect(children).toHaveLength(3);
    for (const pid of children) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(argv).not.toContain(token);
      expect(argv).not.toContain(db);
    }
    // the supplier asks for the token, and the engine has it: an order reaches it and is reserved
    expect((await fetch(`${supplier}/mock/conversations`)).status).toBe(401);
    const res = await fetch(`${api}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"B","qty":2}' });
    const { id } = (await res.json()) as { id: number };
    const order = await until(
      async () => (await (await fetch(`${api}/api/orders/${id}`)).json()) as { status: string },
      (o) => o.status === 'reserved',
    );
    expect(order.status).toBe('reserved');
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  });

  it('--reservation-ttl reaches the engines: a reservation made by the cluster carries its expiry', { timeout: 60_000 }, async ({ onTestFailed }) => {
    const db = tempDb();
    expect((await runCli(['--db', db, 'inventory', 'set', 'T', '5'])).code).toBe(0);
    const up = startUp([
      '--database',
      db,
      'up',
      '--workers',
      '1',
      '--port',
      '0',
      '--supplier-port',
      '0',
      '--supplier-state',
      join(tempDir(), 'supplier.db'),
      '--reservation-ttl',
      '10m',
    ]);
    onTestFailed(() => {
      up.child.kill('SIGKILL');
      console.log(`warehouse up printed:\n${up.out()}\n${up.err()}`);
    });
    const [, api] = await up.waitFor(/cluster up: API (http:\/\/\S+) · supplier (http:\/\/\S+) · 1 worker\(s\)/);
    const res = await fetch(`${api}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sku":"T","qty":2}' });
    const { id } = (await res.json()) as { id: number };
    type Timeline = { status: string; events: Array<{ at: string; type: string; data: { expiresAt?: string } }> };
    const order = await until(
      async () => (await (await fetch(`${api}/api/orders/${id}`)).json()) as Timeline,
      (o) => o.status === 'reserved',
    );
    const reserved = order.events.find((e) => e.type === 'OrderReserved')!;
    // real time: the event's time is read as the write is asked for, the expiry's a few ms later as it is planned
    const ttl = Date.parse(reserved.data.expiresAt!) - Date.parse(reserved.at);
    expect(ttl).toBeGreaterThanOrEqual(600_000);
    expect(ttl).toBeLessThan(601_000);
    // the expiry job, written in the reservation's transaction, is due then
    const { jobs } = (await (await fetch(`${api}/api/jobs`)).json()) as { jobs: Array<{ type: string; runAt: string }> };
    expect(jobs.map((j) => [j.type, j.runAt])).toEqual([['ExpireReservation', reserved.data.expiresAt]]);
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
  });

  it('refuses bad usage with one line, exit 2, starting nothing', async () => {
    const bad = await runCli(['--db', tempDb(), 'up', '--workers', 'many']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, expect.stringMatching(/^error: invalid --workers "many": a whole number/)]);
    const scripted = await runCli(['--db', tempDb(), 'up', '--supplier-status', 'ok']);
    expect([scripted.code, scripted.stderr]).toEqual([2, expect.stringMatching(/--supplier-script/)]);
    const queue = await runCli(['--db', tempDb(), 'up', '--queue', 'amqp://x']);
    expect([queue.code, queue.stderr]).toEqual([2, expect.stringMatching(/only redis:\/\//)]);
    // an engine flag is checked before anything starts (it used to start the supplier, then stop when a worker refused it)
    const ttl = await runCli(['--db', tempDb(), 'up', '--reservation-ttl', 'soon', '--port', '0', '--supplier-port', '0']);
    expect([ttl.code, ttl.stdout, ttl.stderr.trim()]).toEqual([2, '', expect.stringMatching(/^error: --reservation-ttl must be a duration/)]);
  });
});
