/** Shared test helpers: temp databases, the real CLI as a process, and the DESIGN §8 invariants. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { auditDatabase } from '../src/adapters/sqlite/audit.js';
import { createWarehouse, type Warehouse, type WarehouseConfig } from '../src/wiring.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'warehouse.js');

const dirs: string[] = [];
const cleanUp = () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
};
// under vitest: after each test file; in scripts (soak, benchmarks): when the process exits
if (process.env.VITEST) (await import('vitest')).afterAll(cleanUp);
else process.on('exit', cleanUp);

/** A fresh directory, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-test-'));
  dirs.push(dir);
  return dir;
}

/** A path for a new SQLite file in a fresh directory. */
export function tempDb(): string {
  return join(tempDir(), 'test.db');
}

/**
 * An engine on a real temp SQLite file (or `db`), virtual clock and seeded jitter unless told
 * otherwise. The `group-commit` test project runs the engine suites again with batched commits.
 */
export async function testWarehouse({ db, ...config }: Partial<WarehouseConfig> & { db?: string } = {}): Promise<Warehouse> {
  const groupCommit = process.env.WAREHOUSE_GROUP_COMMIT === '1';
  return createWarehouse({
    database: { kind: 'sqlite', file: db ?? tempDb(), groupCommit },
    clock: 'virtual',
    seed: 1,
    virtualStart: Date.UTC(2026, 0, 1, 9),
    ...config,
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `bin/warehouse.js` as a process. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * DESIGN §8 on a database file, through a read-only connection of its own: the same SQL rules as
 * `warehouse check` (src/adapters/sqlite/audit.ts, whose own test proves each rule fires).
 * Returns the violation messages; [] when every invariant holds.
 */
export function checkInvariants(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return auditDatabase(db).map((v) => `${v.rule}: ${v.message}`);
  } finally {
    db.close();
  }
}
