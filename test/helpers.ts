/**
 * Shared test helpers: temp databases, the real CLI as a process, and the invariants of docs/design.md §6.
 *
 * The engine suites run on SQLite (the `all` project) and again on PostgreSQL (the `postgres`
 * project, WAREHOUSE_TEST_DATABASE=postgres): `freshDatabase()` gives a new temp SQLite file, or a
 * new PostgreSQL schema of this test file's own (dropped after the file), on DATABASE_URL.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { auditDatabase } from '../src/adapters/sqlite/audit.js';
import { parseDatabase } from '../src/config.js';
import { createWarehouse, type Warehouse, type WarehouseConfig } from '../src/wiring/warehouse.js';
import { PG_TEST_URL, TEST_SCHEMA_PREFIX } from './postgres/url.js';

/** pg and the PostgreSQL adapter are loaded only by tests that use them */
const pgSupport = () => import('./postgres/support.js');

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'warehouse.js');

const dirs: string[] = [];
const schemas: string[] = [];
const cleanUp = () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
};
// under vitest: after each test file; in scripts (soak, benchmarks): when the process exits
if (process.env.VITEST) {
  const { afterAll } = await import('vitest');
  // dropping a schema takes ~0.1 s here; a property test may leave a hundred
  afterAll(async () => {
    cleanUp();
    if (schemas.length > 0) await (await pgSupport()).dropSchemas(schemas.splice(0));
  }, 300_000);
} else process.on('exit', cleanUp);

/** `postgres` in the `postgres` test project: the engine suites then run on PostgreSQL schemas. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = process.env.WAREHOUSE_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

let schemaCount = 0;
/** A new schema name on the test server, dropped after the test file. */
export function tempSchema(): string {
  const name = `${TEST_SCHEMA_PREFIX}${process.pid}_${++schemaCount}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  schemas.push(name);
  return name;
}

/**
 * A `postgres://` URL for a new schema of this test file's own (the adapter creates it on open).
 * Its sessions commit without waiting for the server's WAL flush (`synchronous_commit=off`): the
 * tests kill clients, never the server, so nothing they check depends on that wait.
 */
export function tempPgUrl(schema = tempSchema()): string {
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('schema', schema);
  if (!url.searchParams.has('options')) url.searchParams.set('options', '-c synchronous_commit=off');
  return url.toString();
}

/** A new empty database for one engine, as a `--database` value: a temp SQLite file, or a fresh PostgreSQL schema. */
export function freshDatabase(): string {
  return TEST_DATABASE === 'postgres' ? tempPgUrl() : tempDb();
}

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
 * Whether this run's SQLite engines commit in groups: yes (the product's default) unless
 * WAREHOUSE_GROUP_COMMIT=0, which the `no-group-commit` test project sets to run its suites on the
 * plain path (one transaction per write). Spawned `warehouse` processes read the same variable.
 */
export const groupCommit = (): boolean => process.env.WAREHOUSE_GROUP_COMMIT !== '0';

/**
 * An engine on a fresh database (or `db`: a SQLite file or a postgres:// URL), virtual clock and
 * seeded jitter unless told otherwise. The `no-group-commit` test project runs the engine suites
 * again with one transaction per write; the `postgres` project on PostgreSQL.
 */
export async function testWarehouse({ db, ...config }: Partial<WarehouseConfig> & { db?: string } = {}): Promise<Warehouse> {
  const database = parseDatabase(db ?? freshDatabase());
  return createWarehouse({
    database: database.kind === 'sqlite' ? { ...database, groupCommit: groupCommit() } : database,
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
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined, REDIS_URL: undefined, ...opts.env },
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
 * The invariants (docs/design.md §6) on a database file, through a read-only connection of its own: the same SQL rules as
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

/**
 * The invariants (docs/design.md §6) on a database given as a `--database` value (a SQLite file or a postgres:// URL), through
 * a connection of its own: the same SQL rules as `warehouse check`. [] when every invariant holds.
 */
export async function invariantsOf(db: string): Promise<string[]> {
  const config = parseDatabase(db);
  return config.kind === 'sqlite' ? checkInvariants(config.file) : (await pgSupport()).pgInvariants(config.url, config.schema ?? 'public');
}

/**
 * Raw SQL on a database given as a `--database` value, through a connection of its own, with `?`
 * placeholders on both databases (tests that write what the engine never would).
 */
export async function rawSql(db: string, text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const config = parseDatabase(db);
  if (config.kind === 'postgres') {
    let i = 0;
    return (await pgSupport()).pgQuery(
      config.url,
      config.schema ?? 'public',
      text.replace(/\?/g, () => `$${++i}`),
      params,
    );
  }
  const raw = new Database(config.file);
  try {
    const stmt = raw.prepare(text);
    return stmt.reader ? (stmt.all(...params) as Array<Record<string, unknown>>) : (stmt.run(...params), []);
  } finally {
    raw.close();
  }
}
