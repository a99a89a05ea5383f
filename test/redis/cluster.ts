/**
 * A cluster of real processes for the scale-out tests (and bench/scale.ts): `warehouse supplier
 * serve` on a port of its own (restarted on the same port, over the same state file, after a
 * kill), `warehouse serve` and `warehouse work` processes on one database and one queue. Every
 * process can be killed with SIGKILL and started again; clients post orders to whichever `serve`
 * is alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from '../helpers.js';
import { freePort } from './support.js';

export interface Proc {
  name: string;
  child: ChildProcess;
  /** resolves with the first match of `pattern` in stdout; rejects if the process exits first */
  ready: Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const alive = new Set<ChildProcess>();
const killAll = () => {
  for (const c of alive) c.kill('SIGKILL');
};
process.on('exit', killAll);
if (process.env.VITEST) {
  const { afterEach } = await import('vitest');
  afterEach(killAll);
}

/** `bin/warehouse.js args…`, killed with the test process at the latest. */
export function spawnWarehouse(name: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined, WAREHOUSE_API_TOKEN: '', REDIS_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      alive.delete(child);
      resolve({ code, signal });
    }),
  );
  const readyP = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (out.length < 100_000) out += d.toString();
      const m = ready.exec(out);
      if (m) resolve(m);
    });
    void exited.then(({ code, signal }) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out.slice(-2_000)}\n${err}`)));
  });
  readyP.catch(() => {});
  return { name, child, ready: readyP, exited, stderr: () => err };
}

export async function kill(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

export interface SupplierService {
  url: string;
  proc: Proc;
  /** SIGKILL, then the same service again on the same port and state */
  restart(): Promise<void>;
}

/** `warehouse supplier serve` with a script, on a port it keeps across restarts. */
export async function startSupplier(dir: string, script: string): Promise<SupplierService> {
  const scriptFile = join(dir, 'supplier-script.yaml');
  writeFileSync(scriptFile, script);
  const port = await freePort();
  const args = ['supplier', 'serve', '--port', String(port), '--state', join(dir, 'supplier.db'), '--script', scriptFile];
  const start = async () => {
    const proc = spawnWarehouse('supplier', args, /supplier listening on (http:\/\/\S+) /);
    await proc.ready;
    return proc;
  };
  const service: SupplierService = {
    url: `http://127.0.0.1:${port}`,
    proc: await start(),
    async restart() {
      await kill(service.proc);
      service.proc = await start();
    },
  };
  return service;
}

export interface Serve extends Proc {
  url: string;
}

export async function startServe(engine: string[], flags: string[]): Promise<Serve> {
  const proc = spawnWarehouse(
    'serve',
    [...engine, 'serve', '--port', '0', '--rate-limit', '0', '--log-level', 'error', ...flags],
    /listening on (http:\/\/\S+) /,
  );
  const [, url] = await proc.ready;
  return { ...proc, url: url! };
}

export async function startWork(engine: string[], flags: string[]): Promise<Proc> {
  const proc = spawnWarehouse('work', [...engine, 'work', ...flags], /Ctrl-C to stop/);
  await proc.ready;
  return proc;
}

export interface Posted {
  key: string;
  sku: string;
  /** the order id of every 201 this key got (one, unless something doubled) */
  ids: number[];
  /** abandoned after a 409: its first try died with its server, holding the key (no order was made) */
  abandoned: boolean;
}

/**
 * Posts one order until a 201, retrying with the same Idempotency-Key on another live server
 * after a lost connection or a 503; a 409 (the key's first request died with its server before
 * committing) abandons the key: the caller posts the order again under a new one.
 */
export async function postOrder(servers: () => Serve[], key: string, sku: string, waitForServer: () => Promise<void>): Promise<Posted> {
  const posted: Posted = { key, sku, ids: [], abandoned: false };
  for (let tries = 0; tries < 200; tries++) {
    const live = servers();
    if (live.length === 0) {
      await waitForServer();
      continue;
    }
    const target = live[(tries + key.length) % live.length]!;
    try {
      const res = await fetch(`${target.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ sku, qty: 1 }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = await res.text();
      if (res.status === 201) {
        posted.ids.push((JSON.parse(body) as { id: number }).id);
        return posted;
      }
      if (res.status === 409) {
        posted.abandoned = true;
        return posted;
      }
      if (res.status !== 503) throw new Error(`order ${key}: HTTP ${res.status} ${body}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(`order ${key}:`)) throw error;
      // the connection died with its server: the same key again, elsewhere
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`order ${key}: no answer after 200 tries`);
}
