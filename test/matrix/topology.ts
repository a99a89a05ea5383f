/**
 * The fault matrix's topologies, as real processes of bin/warehouse (issue 18): `serve` + `work` on a
 * SQLite file, `serve` + `work` on PostgreSQL (a private server: test/matrix/pg-server.ts), and
 * `up` (serve + N workers) on PostgreSQL + Redis (a private redis-server); each with the in-process
 * mock supplier or with `warehouse supplier serve`. Every process listens on a fixed port of its
 * own, so that one killed and started again is found where it was.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from '../helpers.js';
import { freePort } from '../redis/support.js';
import { spawnCli, type Proc } from '../supplier/support.js';

export type DatabaseKind = 'sqlite' | 'pg' | 'pg-redis';
export type SupplierKind = 'mock' | 'service';
export interface Topology {
  db: DatabaseKind;
  supplier: SupplierKind;
}
export const TOPOLOGIES: Topology[] = (['sqlite', 'pg', 'pg-redis'] as const).flatMap((db) =>
  (['mock', 'service'] as const).map((supplier) => ({ db, supplier })),
);
export const topologyName = (t: Topology) =>
  `${{ sqlite: 'SQLite serve+work', pg: 'PostgreSQL serve+work', 'pg-redis': 'PostgreSQL+Redis up' }[t.db]} · ${t.supplier === 'mock' ? 'in-process mock' : 'supplier serve'}`;

/** Why a topology cannot run at all, or null. */
export function topologyUnavailable(t: Topology): string | null {
  if (t.db === 'pg-redis' && t.supplier === 'mock')
    return '`up` always runs `supplier serve` (its --supplier-status/--supplier-reserve are refused): no in-process mock';
  return null;
}

/** short supplier checks and retries: a cell runs in seconds of real time */
export const FAST = ['--check-delay', '300ms', '--backoff-base', '100ms', '--backoff-cap', '500ms', '--lease', '3s', '--job-attempts', '5'];

export interface Started {
  topology: Topology;
  api: string;
  /** the `--database` value */
  database: string;
  supplierUrl: string | null;
  /** the supplier service's state file (service topologies) */
  supplierState: string | null;
  env: NodeJS.ProcessEnv;
  /** SIGKILL the supplier service, and start it again on the same port and state */
  killSupplier(): Promise<void>;
  startSupplier(): Promise<void>;
  /** SIGKILL one `work` process and the `serve` process (under `up`: `up` starts them again) */
  killServerAndWorker(): Promise<void>;
  /** start what killServerAndWorker killed (serve+work topologies); resolves once serve listens */
  restartKilled(): Promise<void>;
  /** SIGTERM everything; true when the engine processes exited 0 */
  stop(): Promise<boolean>;
  /** stderr of the engine processes, for a failing cell's report */
  logs(): string;
}

export interface StartOptions {
  topology: Topology;
  /** the `--database` value (a SQLite path, or a postgres:// URL with ?schema=) */
  database: string;
  /** a directory for the supplier's state */
  dir: string;
  /** the queue's redis:// URL (pg-redis) */
  queue?: string;
  env?: NodeJS.ProcessEnv;
  /** a supplier service to use instead of starting one (two databases sharing one) */
  supplierUrl?: string;
  /** stock of LOCAL */
  stock: number;
  /** called once the database exists, before any engine process starts on it */
  beforeProcesses?(database: string): Promise<void>;
}

export async function startTopology(o: StartOptions): Promise<Started> {
  const env = o.env ?? {};
  const inv = await runCli(['--database', o.database, 'inventory', 'set', 'LOCAL', String(o.stock)], { env });
  if (inv.code !== 0) throw new Error(`inventory set failed: ${inv.stderr}`);
  await o.beforeProcesses?.(o.database);
  const supplierState = o.topology.supplier === 'service' && !o.supplierUrl ? join(o.dir, 'supplier.db') : null;
  const supplierPort = await freePort();
  let supplierUrl = o.supplierUrl ?? (supplierState ? `http://127.0.0.1:${supplierPort}` : null);
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  let supplier: Proc | null = null;
  const startSupplier = async () => {
    if (!supplierState) return;
    supplier = spawnCli(['supplier', 'serve', '--port', String(supplierPort), '--state', supplierState]);
    await supplier.waitFor(/supplier listening on /);
  };
  const killSupplier = async () => {
    const s = supplier as Proc | null;
    if (!s || s.child.exitCode !== null) return;
    s.child.kill('SIGKILL');
    await s.exited;
  };

  if (o.topology.db === 'pg-redis') {
    const up = spawnCli(
      [
        '--database',
        o.database,
        ...(o.supplierUrl ? ['--supplier-url', o.supplierUrl] : []),
        'up',
        '--workers',
        '2',
        '--port',
        String(port),
        '--supplier-port',
        String(supplierPort),
        '--supplier-state',
        join(o.dir, 'supplier.db'),
        '--queue',
        o.queue!,
        ...FAST,
      ],
      env,
    );
    const [, , sup] = await up.waitFor(/cluster up: API (\S+) · supplier (\S+) /);
    supplierUrl = sup!;
    const child = (name: RegExp) => {
      const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(up.child.pid)])
        .toString()
        .trim()
        .split('\n');
      const line = lines.find((l) => name.test(l));
      if (!line) throw new Error(`no ${name} child of up: ${lines.join(' | ')}`);
      return Number(line.trim().split(/\s+/)[0]);
    };
    const SERVE = /(?<!supplier) serve /;
    let killedServe = 0;
    const waitChild = async (name: RegExp) => {
      for (let i = 0; i < 200; i++) {
        try {
          return child(name);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      return child(name);
    };
    return {
      topology: o.topology,
      api,
      database: o.database,
      supplierUrl,
      supplierState: join(o.dir, 'supplier.db'),
      env,
      async killSupplier() {
        process.kill(await waitChild(/ supplier serve /), 'SIGKILL');
      },
      // `up` starts a dead member again after 1 s
      startSupplier: async () => {
        await waitChild(/ supplier serve /);
      },
      async killServerAndWorker() {
        process.kill(await waitChild(/ work /), 'SIGKILL');
        // `serve`, not `supplier serve`
        killedServe = await waitChild(SERVE);
        process.kill(killedServe, 'SIGKILL');
      },
      // `up` starts them again after 1 s: until a new serve answers
      async restartKilled() {
        for (let i = 0; i < 300; i++) {
          const pid = await waitChild(SERVE).catch(() => killedServe);
          if (pid !== killedServe && (await fetch(`${api}/healthz`).catch(() => null))) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('up did not start serve again within 30 s');
      },
      async stop() {
        up.child.kill('SIGTERM');
        const { code } = await up.exited;
        return code === 0;
      },
      logs: () => up.out().slice(-4000) + up.err().slice(-2000),
    };
  }

  await startSupplier();
  const engine = ['--database', o.database, ...(supplierUrl ? ['--supplier-url', supplierUrl] : [])];
  let serve!: Proc;
  let work!: Proc;
  const startServe = async () => {
    serve = spawnCli([...engine, 'serve', '--port', String(port), '--rate-limit', '0', ...FAST], env);
    await serve.waitFor(/listening on /);
  };
  const startWork = async () => {
    work = spawnCli([...engine, 'work', ...FAST], env);
    await work.waitFor(/Ctrl-C to stop/);
  };
  await startServe();
  await startWork();
  const logs: string[] = [];
  return {
    topology: o.topology,
    api,
    database: o.database,
    supplierUrl,
    supplierState,
    env,
    killSupplier,
    startSupplier,
    async killServerAndWorker() {
      for (const p of [work, serve]) {
        logs.push(p.err().slice(-1000));
        p.child.kill('SIGKILL');
        await p.exited;
      }
    },
    async restartKilled() {
      await startServe();
      await startWork();
    },
    async stop() {
      const engines = [serve, work].filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      for (const p of engines) p.child.kill('SIGTERM');
      const codes = await Promise.all(engines.map((p) => p.exited));
      await killSupplier();
      return codes.every((c) => c.code === 0);
    },
    logs: () => [...logs, serve.err().slice(-2000), work.err().slice(-2000)].join('\n'),
  };
}
