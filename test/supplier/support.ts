/** Helpers for the supplier tests: the service in-process on port 0, and real CLI processes. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { SkuScript, SupplierScript } from '../../src/domain/supplier-script.js';
import type { Timeouts } from '../../src/serving/connection.js';
import { formatLogLine, type LogLine } from '../../src/supplier/log.js';
import { startSupplierService, type SupplierService } from '../../src/supplier/service.js';
import { BIN, ROOT, tempDb } from '../helpers.js';

const services: SupplierService[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
const cleanUp = async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of services.splice(0)) await s.close();
};
// under vitest: after each test; in scripts (soak): when the process exits
if (process.env.VITEST) (await import('vitest')).afterEach(cleanUp);
else process.on('exit', () => void cleanUp());

export interface TestService extends SupplierService {
  file: string;
  lines: LogLine[];
  text(): string[];
}

/** `warehouse supplier serve` in this process, on port 0, over a fresh (or given) state file. */
export async function testService(opts: { file?: string; script?: SupplierScript; token?: string; timeouts?: Partial<Timeouts> } = {}): Promise<TestService> {
  const file = opts.file ?? tempDb();
  const lines: LogLine[] = [];
  const service = await startSupplierService({
    state: { file },
    script: opts.script,
    port: 0,
    token: opts.token,
    timeouts: opts.timeouts,
    log: (l) => lines.push(l),
  });
  services.push(service);
  return { ...service, file, lines, text: () => lines.map(formatLogLine) };
}

export async function putScript(url: string, sku: string, script: SkuScript, token?: string): Promise<Response> {
  return fetch(`${url}/mock/scripts/${encodeURIComponent(sku)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(script),
  });
}

export interface Proc {
  child: ChildProcessWithoutNullStreams;
  /** everything printed so far */
  out(): string;
  err(): string;
  /** resolves with the first match of `pattern` in stdout (now or later); rejects if the process exits first */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the real `bin/warehouse.js` (killed after the test if still running). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NO_COLOR: '1',
      WAREHOUSE_DB: undefined,
      WAREHOUSE_SUPPLIER_URL: undefined,
      WAREHOUSE_SUPPLIER_TOKEN: undefined,
      WAREHOUSE_API_TOKEN: '',
      REDIS_URL: undefined,
      ...env,
    },
  });
  children.push(child);
  let out = '';
  let err = '';
  const waiters: Array<{ pattern: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = w.pattern.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    waitFor(pattern) {
      const m = pattern.exec(out);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`process exited (${code ?? signal}) before printing ${pattern}:\n${out}\n${err}`)));
      });
    },
  };
}
