/**
 * The fault matrix's faults (issue 18), each made the way it really happens: another process or
 * session holding locks, a private PostgreSQL or Redis server stopped and started, a tmpfs filled,
 * bytes of a page overwritten, processes killed with SIGKILL, a port taken. Each says where it
 * cannot apply and why, whose fault it is (so the checks know which failure reasons it may cause),
 * and what `/healthz` must say while it lasts.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import Database from 'better-sqlite3';
import { runCli } from '../helpers.js';
import type { mountSmallDisk } from '../faults/harness.js';
import { holdWriteLock } from '../faults/support.js';
import type { PrivateRedis } from '../redis/support.js';
import type { HealthExpectation, Owner } from './checks.js';
import type { PrivatePg } from './pg-server.js';
import type { Started, Topology } from './topology.js';

export interface Machine {
  /** why a private PostgreSQL cannot run here, or null */
  pg: string | null;
  redis: string | null;
  /** why a tmpfs cannot be mounted here, or null */
  tmpfs: string | null;
}

export interface CellContext {
  run: Started;
  pg: PrivatePg | null;
  redis: PrivateRedis | null;
  disk: ReturnType<typeof mountSmallDisk>;
  /** starts another engine on a database of its own (same kind), sharing `supplierUrl` */
  another(supplierUrl: string): Promise<Started>;
}

export interface Injection {
  /** lets the fault go (waits out its duration first); resolves once it is healed */
  end(): Promise<void>;
  /** more engines the workload runs on and the checks hold for (two databases, one supplier) */
  others?: Started[];
  /** what the fault itself promises beyond the five checks, as problems */
  problems?(): Promise<string[]>;
  waitingAllowed?: string;
  checkFinds?: RegExp;
}

export interface Fault {
  id: string;
  label: string;
  /** why it cannot apply to this topology on this machine, or null */
  na(t: Topology, m: Machine): string | null;
  owners(t: Topology): Owner[];
  health(t: Topology): HealthExpectation;
  /** the database on a small tmpfs */
  disk?: boolean;
  /** the engines' environment in this cell */
  env?: NodeJS.ProcessEnv;
  /** a fault in place before the engines first start on the database (given as `--database`) */
  beforeStart?(database: string): Promise<Injection>;
  begin(ctx: CellContext): Promise<Injection>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const TROUBLE: HealthExpectation = { kind: 'trouble' };
const SUPPLIER_NOT_READINESS: HealthExpectation = { kind: 'ok' };
/** how long a lock is held (issue 18: 10 s) */
export const LOCK_MS = 10_000;
const sqliteOnly = (t: Topology) => (t.db === 'sqlite' ? null : 'SQLite only');
const serviceOnly = (t: Topology) => (t.supplier === 'service' ? null : 'the in-process mock lives in the engine process: the process-kill cell covers it');

/** A PG session holding ACCESS EXCLUSIVE locks on `tables` of the cell's schema for LOCK_MS. */
async function pgLock(ctx: CellContext, tables: string[]): Promise<Injection> {
  const schema = new URL(ctx.run.database).searchParams.get('schema')!;
  const c = await ctx.pg!.session();
  await c.query('BEGIN');
  await c.query(`LOCK TABLE ${tables.map((t) => `"${schema}".${t}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  return {
    async end() {
      await sleep(LOCK_MS);
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

export const FAULTS: Fault[] = [
  {
    id: 'write-lock',
    label: 'database write lock 10 s',
    na: () => null,
    owners: () => ['database'],
    health: () => TROUBLE,
    async begin(ctx) {
      if (ctx.run.topology.db !== 'sqlite') return pgLock(ctx, ['orders', 'inventory', 'jobs']);
      const lock = await holdWriteLock(ctx.run.database, LOCK_MS);
      return { end: () => lock.released };
    },
  },
  {
    id: 'lock-at-start',
    label: 'database write lock 10 s at first start-up',
    na: (t) => sqliteOnly(t) && 'a PostgreSQL session holds no lock that stops a start-up: the write-lock cell covers it',
    owners: () => ['database'],
    health: () => ({ kind: 'n/a', why: 'the engines start under the lock: nothing listens to ask until it ends' }),
    // writes give up after 1.5 s, far less than the lock: a start-up that waits synchronously fails every time
    env: { WAREHOUSE_BUSY_TIMEOUT_MS: '1500' },
    // the engines first start on the database (serve, work, the in-process mock) while it is held
    async beforeStart(database) {
      const lock = await holdWriteLock(database, LOCK_MS);
      return { end: () => lock.released };
    },
    begin: async () => ({ end: async () => {} }),
  },
  {
    id: 'pg-restart',
    label: 'PostgreSQL restarted',
    na: (t, m) => (t.db === 'sqlite' ? 'PostgreSQL only' : m.pg),
    owners: () => ['database'],
    health: () => TROUBLE,
    async begin(ctx) {
      ctx.pg!.stop();
      return {
        async end() {
          await sleep(3_000);
          ctx.pg!.start();
        },
      };
    },
  },
  {
    id: 'pg-terminate',
    label: 'PostgreSQL backends terminated',
    na: (t, m) => (t.db === 'sqlite' ? 'PostgreSQL only' : m.pg),
    owners: () => ['database'],
    health: () => ({ kind: 'n/a', why: 'instant: the pool reconnects before a probe can see it' }),
    async begin(ctx) {
      let terminated = 0;
      terminated += await ctx.pg!.terminateBackends();
      return {
        async end() {
          await sleep(1_000);
          terminated += await ctx.pg!.terminateBackends();
        },
        problems: async () => (terminated > 0 ? [] : ['no backend was terminated']),
      };
    },
  },
  {
    id: 'mock-locked',
    label: 'mock tables locked',
    na: (t) =>
      t.db === 'sqlite' && t.supplier === 'mock' ? "SQLite has no table locks: the mock's tables are locked with the whole file (the write-lock cell)" : null,
    // the in-process mock's state is the engine's database; `supplier serve`'s is the supplier's own
    owners: (t) => (t.supplier === 'mock' ? ['database'] : ['supplier']),
    health: (t) => (t.supplier === 'mock' ? TROUBLE : SUPPLIER_NOT_READINESS),
    async begin(ctx) {
      if (ctx.run.topology.supplier === 'mock') return pgLock(ctx, ['mock_scripts', 'mock_order_scripts', 'mock_conversations', 'mock_calls', 'mock_meta']);
      const lock = await holdWriteLock(ctx.run.supplierState!, LOCK_MS);
      return { end: () => lock.released };
    },
  },
  {
    id: 'disk-full',
    label: 'disk full',
    na: (t, m) => (t.db !== 'sqlite' ? "the database server's disk is not the engine's file: SQLite only" : m.tmpfs),
    owners: () => ['database'],
    health: () => TROUBLE,
    disk: true,
    async begin(ctx) {
      ctx.disk!.fill(ctx.run.database);
      return {
        async end() {
          await sleep(3_000);
          ctx.disk!.free();
        },
      };
    },
  },
  {
    id: 'corrupt-late',
    label: 'corrupt page found late',
    na: (t) => sqliteOnly(t) && 'SQLite only: a PostgreSQL page cannot be damaged under a running server by a test',
    owners: () => ['database'],
    health: () => TROUBLE,
    async begin(ctx) {
      // a file over 32 MiB is not checked at open: the damage is found only when a statement meets it
      await ctx.run.killServerAndWorker();
      const db = new Database(ctx.run.database);
      db.exec(`CREATE TABLE matrix_filler (b BLOB); INSERT INTO matrix_filler VALUES (zeroblob(${33 * 1024 * 1024}))`);
      db.pragma('wal_checkpoint(TRUNCATE)');
      // the in-process mock's conversations (issue 18 defect 2), or the engine's own job queue
      const table = ctx.run.topology.supplier === 'mock' ? 'mock_conversations' : 'jobs';
      const page = (db.prepare(`SELECT rootpage FROM sqlite_master WHERE name = ?`).get(table) as { rootpage: number }).rootpage;
      db.close();
      const fd = openSync(ctx.run.database, 'r+');
      writeSync(fd, Buffer.from('DEADBEEF', 'latin1'), 0, 8, (page - 1) * 4096);
      closeSync(fd);
      await ctx.run.restartKilled();
      return {
        end: () => sleep(3_000),
        waitingAllowed: 'the database is corrupt: refused for writes until it is restored from a backup',
        checkFinds: /is corrupt/,
      };
    },
  },
  {
    id: 'supplier-kill',
    label: '`supplier serve` killed -9 and restarted',
    na: serviceOnly,
    owners: () => ['supplier'],
    health: () => SUPPLIER_NOT_READINESS,
    async begin(ctx) {
      await ctx.run.killSupplier();
      return {
        async end() {
          await sleep(2_000);
          await ctx.run.startSupplier();
        },
      };
    },
  },
  {
    id: 'process-kill',
    label: 'a worker and a server killed -9',
    na: () => null,
    owners: () => ['process'],
    health: () => ({ kind: 'n/a', why: 'the server itself is killed: nothing answers until it is back' }),
    async begin(ctx) {
      await ctx.run.killServerAndWorker();
      return {
        async end() {
          await sleep(1_000);
          await ctx.run.restartKilled();
        },
      };
    },
  },
  {
    id: 'redis-restart',
    label: 'Redis restarted empty',
    na: (t, m) => (t.db === 'pg-redis' ? m.redis : 'Redis topology only'),
    owners: () => ['queue'],
    health: () => TROUBLE,
    async begin(ctx) {
      await ctx.redis!.kill();
      return {
        async end() {
          await sleep(3_000);
          await ctx.redis!.restart();
        },
      };
    },
  },
  {
    id: 'shared-supplier',
    label: 'two databases sharing one supplier service',
    na: (t) => (t.supplier === 'service' ? null : "each engine's in-process mock is its own database's"),
    owners: () => [],
    health: () => ({ kind: 'n/a', why: 'no trouble to report: nothing is down' }),
    async begin(ctx) {
      const other = await ctx.another(ctx.run.supplierUrl!);
      return {
        end: async () => {},
        others: [other],
      };
    },
  },
  {
    id: 'port-in-use',
    label: 'a port in use at start',
    na: () => null,
    owners: () => [],
    health: () => ({ kind: 'n/a', why: 'the process that met the taken port never started; the running ones are not in trouble' }),
    async begin(ctx) {
      const taken: Server = createServer();
      await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
      const port = String((taken.address() as { port: number }).port);
      const t = ctx.run.topology;
      const args =
        t.db === 'pg-redis'
          ? ['up', '--port', port, '--supplier-port', '0', '--queue', ctx.redis!.url]
          : t.supplier === 'service'
            ? ['supplier', 'serve', '--port', port, '--state', `${ctx.run.supplierState}.other`]
            : ['serve', '--port', port];
      const r = await runCli(['--database', ctx.run.database, ...args], { env: ctx.run.env });
      taken.close();
      const said = (r.stderr + r.stdout).trim().split('\n').slice(-2).join(' / ');
      return {
        end: async () => {},
        problems: async () =>
          r.code === 2 && r.stderr.includes(port) && /--port|--supplier-port/.test(r.stderr) && !/bug|\n\s+at /.test(r.stderr)
            ? []
            : [`\`${args.slice(0, 2).join(' ')} --port ${port}\` on a taken port: exit ${r.code}, said: ${said.slice(0, 300)}`],
      };
    },
  },
];
