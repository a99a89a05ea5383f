/**
 * Opening a SQLite database file: refuse what is not SQLite without touching it, set the
 * pragmas (WAL, synchronous, busy timeout, foreign keys) and apply pending migrations under a
 * write lock, so that two processes opening a new file at once cannot both migrate it.
 *
 * Another process's lock met while opening (switching a new file to WAL, migrating) is waited for
 * asynchronously (`waitForLock`), never inside SQLite: the event loop stays free, and a daemon may
 * wait as long as the lock lasts (`lockWaitMs`), saying so once (`onLockWait`).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readMigrationFiles } from './drizzle.js';
import { DatabaseError, UsageError } from '../../domain/errors.js';

export type Durability = 'full' | 'normal';

export interface OpenOptions {
  /** a file path, or ':memory:' */
  file: string;
  /** synchronous=FULL (default: an acknowledged write survives power loss) or NORMAL */
  durability?: Durability;
  busyTimeoutMs?: number;
  /**
   * Check the file when opening: `auto` (default) runs SQLite's full `integrity_check` on files up
   * to INTEGRITY_CHECK_MAX_BYTES and its cheaper `quick_check` (structure only, not index against
   * table) up to QUICK_CHECK_MAX_BYTES, each well under a quarter of a second here
   * (docs/performance.md); larger files are checked by `warehouse check`, and damage met later is
   * caught by the connection. `true`: at least quick_check whatever the size; `false`: none.
   */
  quickCheck?: boolean | 'auto';
  /**
   * How long opening waits for another process's write lock (default: busyTimeoutMs);
   * `Infinity` for a daemon (`work`, `serve`), which waits as long as the lock lasts.
   */
  lockWaitMs?: number;
  /** told once, when opening meets another process's lock and starts waiting for it */
  onLockWait?: (message: string) => void;
}

/** How opening waits for another process's lock (OpenOptions). */
export interface LockWait {
  file: string;
  busyTimeoutMs: number;
  lockWaitMs?: number;
  onLockWait?: (message: string) => void;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs the synchronous `step` (SQLite's own busy wait off) until it does not meet another
 * process's lock, pausing asynchronously between tries (growing to 50 ms), for at most
 * `lockWaitMs` (default busyTimeoutMs); tells `onLockWait` once when it starts waiting. Any other
 * error, and the lock outlasting the wait, come out as DatabaseErrors (describeSqliteError).
 */
export async function waitForLock<T>(step: () => T, wait: LockWait, started = performance.now()): Promise<T> {
  const limit = wait.lockWaitMs ?? wait.busyTimeoutMs;
  let told = false;
  for (let ms = 1; ; ms = Math.min(ms * 2, 50)) {
    try {
      return step();
    } catch (error) {
      if (!isBusy(error) || performance.now() - started + ms > limit) {
        throw describeSqliteError(error, wait.file, Math.round(performance.now() - started)) ?? error;
      }
    }
    if (!told && wait.onLockWait) {
      told = true;
      wait.onLockWait(`database ${wait.file} is locked by another process: waiting for it to be free`);
    }
    await pause(ms);
  }
}

const HEADER = 'SQLite format 3\0';
const MIGRATIONS_TABLE = '__drizzle_migrations';

/** `drizzle/` sits at the package root, two levels above both src/adapters/sqlite and dist/adapters/sqlite. */
export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'drizzle');

function assertSqliteFile(file: string): void {
  if (file === ':memory:' || !existsSync(file)) return;
  const stat = statSync(file);
  if (stat.isDirectory()) throw new DatabaseError(`${file} is a directory, not a database file: pass a file path with --db`, file);
  if (stat.size === 0) return; // an empty file is a new database
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(HEADER.length);
    readSync(fd, buf, 0, buf.length, 0);
    if (buf.toString('latin1') !== HEADER) {
      throw new DatabaseError(
        `${file} is not a SQLite database (its header is wrong); it was left untouched. Pass another file with --db, or move this one away.`,
        file,
      );
    }
  } finally {
    closeSync(fd);
  }
}

const isCode = (error: { code: string }, ...codes: string[]) => codes.some((c) => error.code === c || error.code.startsWith(`${c}_`));

/** SQLite's "another connection holds the lock": worth waiting for (asynchronously: connection.ts). */
export function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && isCode(error, 'SQLITE_BUSY', 'SQLITE_LOCKED');
}

/**
 * SQLite's errors as DatabaseErrors that say whose trouble it is and what to do (errors.ts,
 * DatabaseFault). Anything else (a constraint, a bug) is returned as null and passes unchanged.
 */
export function describeSqliteError(error: unknown, file: string, busyTimeoutMs: number): DatabaseError | null {
  if (!(error instanceof Database.SqliteError)) return null;
  const cause = { cause: error };
  if (isBusy(error)) {
    return new DatabaseError(`database ${file} is locked by another process (waited ${busyTimeoutMs} ms); try again when it is free`, file, {
      ...cause,
      fault: 'busy',
    });
  }
  if (isCode(error, 'SQLITE_NOTADB')) {
    return new DatabaseError(`${file} is not a usable SQLite database (${error.message}); it was left untouched`, file, { ...cause, fault: 'not_a_database' });
  }
  if (isCode(error, 'SQLITE_CORRUPT')) {
    return new DatabaseError(corruptMessage(file, error.message), file, { ...cause, fault: 'corrupt' });
  }
  // ENOSPC while growing the WAL can also surface as an I/O error that says so
  if (isCode(error, 'SQLITE_FULL') || (isCode(error, 'SQLITE_IOERR') && /full|space/i.test(error.message))) {
    return new DatabaseError(
      `disk full: free space on ${dirname(resolve(file))} (database ${file} could not be written); writes resume by themselves once there is room`,
      file,
      { ...cause, fault: 'full' },
    );
  }
  if (isCode(error, 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_AUTH')) {
    const dir = dirname(resolve(file));
    if (file !== ':memory:' && !writable(dir)) {
      return new DatabaseError(
        `cannot use database ${file}: its directory ${dir} is read-only, and SQLite (in WAL mode) must create ${basename(file)}-wal and -shm beside the file even to read it. ` +
          `Make the directory writable, or copy ${basename(file)} (no -wal file beside it: it is complete) to a writable place`,
        file,
        { ...cause, fault: 'readonly' },
      );
    }
    return new DatabaseError(`cannot write database ${file} (${error.message}); check the path and its permissions`, file, { ...cause, fault: 'readonly' });
  }
  if (isCode(error, 'SQLITE_IOERR')) {
    return new DatabaseError(`database ${file} could not be read or written (${error.message}); check the disk`, file, { ...cause, fault: 'io' });
  }
  return null;
}

/**
 * Files found corrupt, or no longer a database, while in use: by any connection of this process
 * (the engine's, the in-process mock's state on the same file), at any time. Each is refused for
 * writes from then on, by every connection to it (connection.ts, the mock's SQLite state).
 */
const refused = new Map<string, DatabaseError>();
const latchKey = (file: string) => (file === ':memory:' || file.startsWith('file:') ? null : resolve(file));

/** The refusal latched for `file` (see describeInUse), or null. */
export function refusalOf(file: string): DatabaseError | null {
  const key = latchKey(file);
  return key === null ? null : (refused.get(key) ?? null);
}

/** refusalOf(file) with the path resolved once (a connection asks on every write) */
export function refusalFor(file: string): () => DatabaseError | null {
  const key = latchKey(file);
  return key === null ? () => null : () => refused.get(key) ?? null;
}

/**
 * describeSqliteError for a database in use: damage (`corrupt`) or a file that is no longer a
 * database (`not_a_database`) is latched for the file, so that every connection to it refuses
 * writes from then on, with the first such error.
 */
export function describeInUse(error: unknown, file: string, busyTimeoutMs: number): DatabaseError | null {
  const described = describeSqliteError(error, file, busyTimeoutMs);
  if (described?.fault !== 'corrupt' && described?.fault !== 'not_a_database') return described;
  const key = latchKey(file);
  if (key === null) return described;
  if (!refused.has(key)) refused.set(key, described);
  return refused.get(key)!;
}

export function corruptMessage(file: string, detail: string): string {
  // SQLite's integrity_check may answer several lines in one row: the message stays one line
  const oneLine = detail.replace(/\s*\n\s*/g, '; ');
  return (
    `database ${file} is corrupt (${oneLine}); it is refused for writes so that nothing more is lost. ` +
    `Restore it from a backup (\`warehouse backup <file>\` makes one), or salvage what SQLite can read with \`sqlite3 ${file} .recover\``
  );
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A missing directory is the user's mistake (a typo in the path): say which, and how to fix it. */
function assertDirectory(file: string): void {
  if (file === ':memory:' || file.startsWith('file:')) return;
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) {
    throw new UsageError(`the directory of the database does not exist: ${dir}. Create it (mkdir -p ${JSON.stringify(dir)}) or pass another --database`);
  }
}

export async function openDatabase(opts: OpenOptions): Promise<Database.Database> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;
  assertDirectory(opts.file);
  assertSqliteFile(opts.file);
  const started = performance.now();
  const patiently = <T>(step: () => T) => waitForLock(step, { ...opts, busyTimeoutMs }, started);
  let db: Database.Database | undefined;
  try {
    // SQLite never blocks on another process's lock (every blocked millisecond would be the whole
    // process's): opening waits for it asynchronously, as every later write does (connection.ts)
    db = new Database(opts.file, { timeout: 0 });
    const raw = db;
    // header check passed; a wrong file still fails here before anything is written
    await patiently(() => raw.pragma('schema_version'));
    if (opts.file !== ':memory:') await patiently(() => raw.pragma('journal_mode = WAL'));
    db.pragma(`synchronous = ${opts.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    const check = openCheck(opts);
    if (check) await patiently(() => assertIntact(raw, opts.file, check));
    await patiently(() => migrate(raw));
    return db;
  } catch (error) {
    db?.close();
    throw describeSqliteError(error, opts.file, busyTimeoutMs) ?? error;
  }
}

/** 4 MiB: about 7,500 orders (560 bytes each), an integrity_check of about 35 ms here (npm run bench:integrity). */
export const INTEGRITY_CHECK_MAX_BYTES = 4 * 1024 * 1024;
/** 32 MiB: about 60,000 orders, a quick_check of about 0.14 s here, 0.2 s on a loaded machine (npm run bench:integrity). */
export const QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024;

function openCheck(opts: OpenOptions): 'integrity_check' | 'quick_check' | null {
  if (opts.quickCheck === false || opts.file === ':memory:' || !existsSync(opts.file)) return null;
  const size = statSync(opts.file).size;
  if (size <= INTEGRITY_CHECK_MAX_BYTES) return 'integrity_check';
  return opts.quickCheck === true || size <= QUICK_CHECK_MAX_BYTES ? 'quick_check' : null;
}

/** SQLite's own check at open: a damaged file is refused before anything writes to it. */
export function assertIntact(db: Database.Database, file: string, pragma: 'integrity_check' | 'quick_check' = 'quick_check'): void {
  const problems = integrityProblems(db, pragma, 5);
  if (problems.length > 0) throw new DatabaseError(corruptMessage(file, problems.join('; ')), file, { fault: 'corrupt' });
}

/** SQLite's own check of the file (`integrity_check`, or the cheaper `quick_check`); [] when intact. */
export function integrityProblems(db: Database.Database, pragma: 'integrity_check' | 'quick_check', max = 100): string[] {
  const rows = db.pragma(`${pragma}(${max})`) as Array<Record<string, string>>;
  const messages = rows.map((r) => Object.values(r)[0] ?? '');
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
}

/**
 * Applies drizzle-kit's migrations (same bookkeeping table as drizzle's own migrator) inside
 * BEGIN IMMEDIATE, re-reading what is applied once the lock is held. Foreign keys are off while
 * they run and checked (`foreign_key_check`) before the commit: SQLite's own procedure for a
 * change it can only make by rebuilding a table (a CHECK constraint: drizzle/0008), whose
 * `PRAGMA foreign_keys` statements are no-ops inside the transaction.
 *
 * A database with nothing in it yet gets NEW_DATABASE_SCRIPT instead, when that script stands for
 * exactly the journal's migrations (`how: 'migrations'` always runs the migrations themselves).
 */
export function migrate(db: Database.Database, how: 'auto' | 'migrations' = 'auto'): void {
  const latest = latestMigration();
  const applied = () => {
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE);
    if (!exists) return 0;
    const row = db.prepare(`SELECT MAX(created_at) AS last FROM ${MIGRATIONS_TABLE}`).get() as { last: number | null };
    return Number(row.last ?? 0);
  };
  if (applied() >= latest) return;
  const foreignKeys = Number(db.pragma('foreign_keys', { simple: true }));
  db.pragma('foreign_keys = OFF');
  try {
    migrateLocked(db, applied, how);
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

let journalKnown: number[] | undefined;
/** The migrations' times (drizzle's `folderMillis`), oldest first, from drizzle-kit's journal alone. */
function journal(): number[] {
  if (journalKnown === undefined) {
    const read = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ when: number }> };
    journalKnown = read.entries.map((e) => e.when);
  }
  return journalKnown;
}

/** The newest migration's time: an up-to-date database (every open but the first) never reads the SQL files or hashes them. */
const latestMigration = () => Math.max(0, ...journal());

/**
 * drizzle/new-database.sql: the schema the migrations leave, with their bookkeeping rows and the
 * rows they insert, in one script — for a new file, where running the 11 migrations one by one
 * (three of them rebuilding a table, each statement re-reading the schema) cost about 10 ms of a
 * start of about 0.45 s (docs/performance.md, start-up). test/adapters/new-database.test.ts
 * writes it from the migrations (`-u` after `npm run db:generate`) and checks that a file made by
 * it and one made by the migrations are the same. A script that does not stand for the journal's
 * migrations (one added since) is rolled back and the migrations run instead.
 */
export const NEW_DATABASE_SCRIPT = join(MIGRATIONS_FOLDER, 'new-database.sql');

/**
 * Runs `script` on a database holding nothing but an empty bookkeeping table, inside the caller's
 * transaction; keeps it only if its bookkeeping rows are exactly `journal` (the migrations'
 * times), else undoes it. Whether it was kept.
 */
export function applyNewDatabaseScript(db: Database.Database, script: string, journal: readonly number[]): boolean {
  const objects = db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name <> ?`).pluck().get(MIGRATIONS_TABLE) as number;
  const rows = db.prepare(`SELECT COUNT(*) FROM ${MIGRATIONS_TABLE}`).pluck().get() as number;
  if (objects > 0 || rows > 0) return false;
  db.exec('SAVEPOINT new_database');
  try {
    db.exec(script);
    const made = db.prepare(`SELECT created_at FROM ${MIGRATIONS_TABLE} ORDER BY id`).pluck().all() as number[];
    if (made.length === journal.length && made.every((when, i) => Number(when) === journal[i])) {
      db.exec('RELEASE new_database');
      return true;
    }
  } catch (error) {
    // a script that does not run here (SQL it does not know) is not used: the migrations run
    // instead; any other trouble (a lock, a full disk) is the database's, and ends the transaction
    if (!(error instanceof Database.SqliteError && error.code === 'SQLITE_ERROR')) throw error;
  }
  db.exec('ROLLBACK TO new_database');
  db.exec('RELEASE new_database');
  return false;
}

function newDatabaseScript(): string | null {
  try {
    return readFileSync(NEW_DATABASE_SCRIPT, 'utf8');
  } catch {
    return null;
  }
}

function migrateLocked(db: Database.Database, applied: () => number, how: 'auto' | 'migrations'): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)`);
    const last = applied();
    const script = how === 'auto' && last === 0 ? newDatabaseScript() : null;
    const scripted = script !== null && applyNewDatabaseScript(db, script, journal());
    const migrations = scripted ? [] : readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
    for (const m of migrations) {
      if (m.folderMillis <= last) continue;
      // one script per migration (a newline before each `;` ends a trailing `--` comment)
      db.exec(m.sql.filter((stmt) => stmt.trim()).join('\n;\n'));
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`).run(m.hash, m.folderMillis);
    }
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`a migration broke ${broken.length} foreign key(s): ${JSON.stringify(broken.slice(0, 3))}`);
  }).immediate();
}
