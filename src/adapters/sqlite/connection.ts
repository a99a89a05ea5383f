/**
 * One SQLite connection shared by the store and the queue of a backend, with the two ways in:
 * `write(fn)` runs `fn` as one synchronous `BEGIN IMMEDIATE` transaction (nothing is awaited
 * inside it, so no other work can interleave), `read(fn)` runs a plain read. SQLite's errors come
 * out as DatabaseErrors that say what to do.
 *
 * Group commit (`groupCommit: true`): writes issued in the same turn of the event loop are run
 * in one IMMEDIATE transaction, each inside its own SAVEPOINT (a failing write rolls back alone),
 * and every caller is answered only after the shared COMMIT: one fsync for many writes, the same
 * durability for each.
 */
import type Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { describeSqliteError, openDatabase, type OpenOptions } from './open.js';
import * as t from './schema.js';
import { prepareStatements, type Statements } from './statements.js';

export type Db = BetterSQLite3Database<typeof t>;

export interface ConnectionOptions extends OpenOptions {
  /** batch the writes of one event-loop turn into one transaction (see above) */
  groupCommit?: boolean;
}

export interface Connection {
  readonly file: string;
  readonly raw: Database.Database;
  readonly db: Db;
  /** the hot statements, prepared once */
  readonly q: Statements;
  /** one write transaction (batched with others of the same turn under group commit) */
  write<T>(fn: () => T): Promise<T>;
  /** one write transaction of its own, never batched: it must see what committed just before */
  writeAlone<T>(fn: () => T): Promise<T>;
  read<T>(fn: () => T): T;
  close(): void;
}

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export function openConnection(opts: ConnectionOptions): Connection {
  const raw = openDatabase(opts);
  const db: Db = drizzle(raw, { schema: t });
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;
  const q = prepareStatements(db);
  const describe = (error: unknown) => describeSqliteError(error, opts.file, busyTimeoutMs) ?? error;

  // one write in its own IMMEDIATE transaction; nested inside a batch, better-sqlite3 makes it a SAVEPOINT
  const inTransaction = raw.transaction((fn: () => unknown) => fn());
  const immediate = <T>(fn: () => T): T => inTransaction.immediate(fn) as T;

  let batch: Pending[] = [];
  const runBatch = raw.transaction((items: Pending[]) =>
    items.map((item) => {
      try {
        return { ok: true as const, value: inTransaction(item.fn) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  );
  function flush(): void {
    const items = batch;
    batch = [];
    let results: ReturnType<typeof runBatch>;
    try {
      results = runBatch.immediate(items);
    } catch (error) {
      for (const item of items) item.reject(describe(error));
      return;
    }
    results.forEach((r, i) => (r.ok ? items[i]!.resolve(r.value) : items[i]!.reject(describe(r.error))));
  }

  function writeAlone<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(immediate(fn));
    } catch (error) {
      return Promise.reject(describe(error));
    }
  }

  return {
    file: opts.file,
    raw,
    db,
    q,
    write<T>(fn: () => T): Promise<T> {
      if (!opts.groupCommit) return writeAlone(fn);
      return new Promise<T>((resolve, reject) => {
        if (batch.length === 0) setImmediate(flush);
        batch.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      });
    },
    writeAlone,
    read<T>(fn: () => T): T {
      try {
        return fn();
      } catch (error) {
        throw describe(error);
      }
    },
    close() {
      if (batch.length > 0 && raw.open) flush(); // writes already accepted still commit
      if (raw.open) raw.close();
    },
  };
}
