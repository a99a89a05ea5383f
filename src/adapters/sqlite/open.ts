/**
 * Opening a SQLite database file: refuse what is not SQLite without touching it, set the
 * pragmas (WAL, synchronous, busy timeout, foreign keys) and apply pending migrations under a
 * write lock, so that two processes opening a new file at once cannot both migrate it.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { DatabaseError } from '../../domain/errors.js';

export type Durability = 'full' | 'normal';

export interface OpenOptions {
  /** a file path, or ':memory:' */
  file: string;
  /** synchronous=FULL (default: an acknowledged write survives power loss) or NORMAL */
  durability?: Durability;
  busyTimeoutMs?: number;
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

export function describeSqliteError(error: unknown, file: string, busyTimeoutMs: number): DatabaseError | null {
  if (!(error instanceof Database.SqliteError)) return null;
  if (error.code === 'SQLITE_BUSY' || error.code.startsWith('SQLITE_BUSY_') || error.code === 'SQLITE_LOCKED') {
    return new DatabaseError(
      `database ${file} is locked by another process (waited ${busyTimeoutMs} ms); try again when it is free`,
      file,
      { cause: error },
    );
  }
  if (error.code === 'SQLITE_NOTADB' || error.code === 'SQLITE_CORRUPT') {
    return new DatabaseError(`${file} is not a usable SQLite database (${error.message}); it was left untouched`, file, { cause: error });
  }
  if (error.code === 'SQLITE_READONLY' || error.code.startsWith('SQLITE_READONLY_') || error.code === 'SQLITE_CANTOPEN') {
    return new DatabaseError(`cannot write database ${file} (${error.message}); check the path and its permissions`, file, { cause: error });
  }
  if (error.code === 'SQLITE_FULL' || error.code === 'SQLITE_IOERR' || error.code.startsWith('SQLITE_IOERR_')) {
    return new DatabaseError(`database ${file} could not be written (${error.message}); check the disk`, file, { cause: error });
  }
  return null;
}

export function openDatabase(opts: OpenOptions): Database.Database {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;
  assertSqliteFile(opts.file);
  let db: Database.Database | undefined;
  try {
    db = new Database(opts.file, { timeout: busyTimeoutMs });
    // header check passed; a wrong file still fails here before anything is written
    db.pragma('schema_version');
    if (opts.file !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw describeSqliteError(error, opts.file, busyTimeoutMs) ?? error;
  }
}

/**
 * Applies drizzle-kit's migrations (same bookkeeping table as drizzle's own migrator) inside
 * BEGIN IMMEDIATE, re-reading what is applied once the lock is held.
 */
function migrate(db: Database.Database): void {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const latest = migrations.at(-1)?.folderMillis ?? 0;
  const applied = () => {
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE);
    if (!exists) return 0;
    const row = db.prepare(`SELECT MAX(created_at) AS last FROM ${MIGRATIONS_TABLE}`).get() as { last: number | null };
    return Number(row.last ?? 0);
  };
  if (applied() >= latest) return;
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)`);
    const last = applied();
    for (const m of migrations) {
      if (m.folderMillis <= last) continue;
      for (const stmt of m.sql) if (stmt.trim()) db.exec(stmt);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`).run(m.hash, m.folderMillis);
    }
  }).immediate();
}
