/**
 * One SQLite connection shared by the store and the queue of a backend, with the two ways in:
 * `write(fn)` runs `fn` as one synchronous `BEGIN IMMEDIATE` transaction (nothing is awaited
 * inside it, so no other work can interleave), `read(fn)` runs a plain read. SQLite's errors come
 * out as DatabaseErrors that say what to do.
 *
 * Another process's lock never blocks the event loop: SQLite itself does not wait for it
 * (busy_timeout 0, set by open.ts), the write is tried again after an asynchronous pause
 * (growing to 50 ms), until `busyTimeoutMs` has passed. Meanwhile the process
 * answers HTTP requests, reads and supplier replies as usual. (Measured against the alternative,
 * a worker thread, in docs/decisions.md.)
 *
 * A database found corrupt (by `quick_check` at open, or by any statement that meets damage, of this
 * connection or of any other in the process on the same file: the in-process mock's state) is
 * refused for every later write with the same message: nothing more is written into it.
 *
 * Group commit (the default; `groupCommit: false` turns it off): writes issued in the same turn of
 * the event loop are run in one IMMEDIATE transaction, and every caller is answered only after the
 * shared COMMIT: one fsync for many writes, the same durability for each. A failing write rolls
 * back alone: the batch runs first with no SAVEPOINTs (SQLite copies every page a savepoint touches,
 * a quarter of the batch's CPU: docs/performance.md), and only if a write throws is the whole batch
 * rolled back and run again with each write inside its own SAVEPOINT. So a write's `fn` may run
 * more than once: it must act only on the database, or assign what the last run overwrites
 * (every write of the store and the queue does). Off, each write is a transaction of its own.
 */
import type Database from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { drizzle } from './drizzle.js';
import { DatabaseError } from '../../domain/errors.js';
import { describeInUse, isBusy, openDatabase, refusalFor, type OpenOptions } from './open.js';
import * as t from './schema.js';
import { leanAll } from './lean.js';
import { prepareStatements, type Statements } from './statements.js';

export type Db = BetterSQLite3Database<typeof t>;

export interface ConnectionOptions extends OpenOptions {
  /** batch the writes of one event-loop turn into one transaction (see above; default true) */
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
  read<T>(fn: () => T): Promise<T>;
  /** write transactions committed by this connection (a group-commit batch counts once): for Store.info and the benchmarks */
  readonly commits: number;
  /** group-commit batches run a second time, with savepoints, because one of their writes threw */
  readonly reruns: number;
  /** set once the database was found corrupt: every later write is refused with it */
  readonly corrupt: DatabaseError | null;
  /**
   * Whether the database takes writes: corrupt, or the last write failed for the database's
   * trouble (full, I/O, read-only, locked) and none has succeeded since — then a probe write
   * (rewriting the header's user_version) tells whether it has recovered.
   */
  health(): Promise<{ ok: true } | { ok: false; fault: DatabaseError['fault']; message: string }>;
  close(): void;
}

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** when its wait for another process's lock runs out (performance.now() time) */
  deadline: number;
}

interface QueuedWrite {
  attempt: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  deadline: number;
}

/** how long writes may run back to back before the event loop gets a turn */
const WRITE_SLICE_MS = 10;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A write of a group-commit batch threw: the batch is rolled back and run again with savepoints. */
class Rerun extends Error {
  constructor(readonly original: unknown) {
    super('a write of the batch threw');
  }
}

export async function openConnection(opts: ConnectionOptions): Promise<Connection> {
  const raw = await openDatabase(opts);
  const db: Db = drizzle(raw, { schema: t });
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;
  // drizzle builds and prepares them; the calls skip its per-call work (lean.ts)
  const q = leanAll(prepareStatements(db));
  /** the refusal of writes once the file was found corrupt (by this connection or another: open.ts) */
  let latched: DatabaseError | null = null;
  const refusalOfFile = refusalFor(opts.file);
  const refused = () => latched ?? refusalOfFile();
  let lastFault: DatabaseError | null = null;
  const describe = (error: unknown) => {
    const described = describeInUse(error, opts.file, busyTimeoutMs);
    if (described?.fault === 'corrupt' || described?.fault === 'not_a_database') latched ??= described;
    return described ?? error;
  };
  /** a write's outcome: a database fault is remembered for health(); any success clears it */
  const noted = <T>(p: Promise<T>): Promise<T> =>
    p.then(
      (value) => {
        lastFault = null;
        return value;
      },
      (error: unknown) => {
        if (error instanceof DatabaseError) lastFault = error;
        throw error;
      },
    );

  /**
   * Runs `attempt` until it does not meet another process's lock, pausing asynchronously between
   * tries; gives up with a `busy` DatabaseError after busyTimeoutMs.
   */
  async function untilUnlocked<T>(attempt: () => T): Promise<T> {
    const deadline = performance.now() + busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        return attempt();
      } catch (error) {
        if (!isBusy(error) || performance.now() + wait > deadline) throw describe(error);
      }
      await pause(wait);
    }
  }
  /**
   * A write: refused once the database was found corrupt. Writes run one at a time, in the order
   * they were asked for, in slices of the event loop's time: once a slice has run WRITE_SLICE_MS,
   * the next write waits for the loop's next turn. So a burst of writes (each a synchronous
   * commit, an fsync at `durability full`) never holds the loop for much longer than a slice, and
   * health checks, reads and supplier replies are answered in between; within a slice, writes run
   * back to back, as fast as SQLite takes them.
   *
   * A write that meets another process's lock waits for it asynchronously, and the later ones
   * queue behind it instead of each probing the lock (SQLite takes one writer at a time anyway).
   * But each write's patience is its own, counted from when it was asked for: whenever the lock is
   * met, every queued write whose `busyTimeoutMs` has run out is refused (busy) at once, wherever it
   * stands in the queue. Twelve requests that arrive together under a long lock are all answered
   * 503 when their time is up, not one after another a busy timeout apart; and all go through as
   * soon as the lock ends, if that is sooner.
   */
  const writes: QueuedWrite[] = [];
  let pumping = false;
  let sliceStarted = Number.NEGATIVE_INFINITY;
  const sliceLeft = () => performance.now() - sliceStarted < WRITE_SLICE_MS;
  /** Refuses every queued write whose time is up (the lock met was `error`); the earliest deadline left. */
  function refuseExpired(error: unknown, now: number): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < writes.length; ) {
      const w = writes[i]!;
      if (w.deadline <= now) {
        writes.splice(i, 1);
        w.reject(describe(error));
      } else {
        earliest = Math.min(earliest, w.deadline);
        i++;
      }
    }
    return earliest;
  }
  async function pump(): Promise<void> {
    for (let wait = 1; ; ) {
      const next = writes[0]!;
      let waitFor: number | null = null;
      const refusal = refused();
      if (refusal) {
        writes.shift();
        next.reject(refusal);
      } else {
        try {
          const value = next.attempt();
          writes.shift();
          next.resolve(value);
        } catch (error) {
          if (isBusy(error)) {
            const now = performance.now();
            const earliest = refuseExpired(error, now);
            if (writes.length > 0) waitFor = Math.max(1, Math.min(wait, earliest - now));
          } else {
            writes.shift();
            next.reject(describe(error));
          }
        }
      }
      if (writes.length === 0) {
        pumping = false;
        return;
      }
      if (waitFor !== null) {
        await pause(waitFor);
        wait = Math.min(wait * 2, 50);
        sliceStarted = performance.now();
        continue;
      }
      wait = 1;
      if (!sliceLeft()) {
        // an immediate set from here runs in the loop's next turn, after timers and I/O
        setImmediate(newSlice);
        return;
      }
    }
  }
  const newSlice = () => {
    sliceStarted = performance.now();
    void pump();
  };
  /** Queues `attempt`; it is refused (busy) if the lock keeps it waiting past `deadline` (default: busyTimeoutMs from now). */
  function patiently<T>(attempt: () => T, deadline = performance.now() + busyTimeoutMs): Promise<T> {
    const refusal = refused();
    if (refusal) return Promise.reject(refusal);
    return new Promise<T>((resolve, reject) => {
      writes.push({ attempt, resolve: resolve as (value: unknown) => void, reject, deadline });
      if (!pumping) {
        pumping = true;
        if (sliceLeft()) queueMicrotask(() => void pump());
        else setImmediate(newSlice);
      }
    });
  }

  // one write in its own IMMEDIATE transaction; nested inside a batch, better-sqlite3 makes it a SAVEPOINT
  const inTransaction = raw.transaction((fn: () => unknown) => fn());
  let commits = 0;
  let reruns = 0;
  const immediate = <T>(fn: () => T): T => {
    const value = inTransaction.immediate(fn) as T;
    commits++;
    return value;
  };

  let batch: Pending[] = [];
  let flushing = false;
  /** the batch without savepoints: the first write that throws rolls the whole batch back (Rerun) */
  const runBatchFast = raw.transaction((items: Pending[]) =>
    items.map((item) => {
      try {
        return { ok: true as const, value: item.fn() };
      } catch (error) {
        throw new Rerun(error);
      }
    }),
  );
  /** the batch with each write in its own SAVEPOINT: a write that throws rolls back alone */
  const runBatch = raw.transaction((items: Pending[]) =>
    items.map((item) => {
      try {
        return { ok: true as const, value: inTransaction(item.fn) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  );
  /** Commits the batch; writes queued while it waits for a lock join it. */
  async function flush(): Promise<void> {
    flushing = true;
    try {
      let items: Pending[] = [];
      let results: ReturnType<typeof runBatch>;
      try {
        // taking the lock is retried as a whole: BEGIN IMMEDIATE fails before any write ran; the
        // batch waits as long as its oldest write may
        results = await patiently(
          () => {
            const taken = batch.slice();
            let done: ReturnType<typeof runBatch>;
            try {
              done = runBatchFast.immediate(taken);
            } catch (error) {
              // BEGIN or COMMIT failed (busy: patiently tries again): as with savepoints
              if (!(error instanceof Rerun)) throw error;
              // a write threw and the batch rolled back: again, each write able to fail alone
              reruns++;
              done = runBatch.immediate(taken);
            }
            commits++;
            batch.splice(0, taken.length);
            items = taken;
            return done;
          },
          batch.reduce((oldest, item) => Math.min(oldest, item.deadline), Number.POSITIVE_INFINITY),
        );
      } catch (error) {
        // a lock outlasted the oldest writes' patience: those are refused, the younger ones try again
        const now = performance.now();
        const failed = error instanceof DatabaseError && error.fault === 'busy' ? batch.filter((item) => item.deadline <= now) : batch.slice();
        batch = batch.filter((item) => !failed.includes(item));
        for (const item of failed) item.reject(error);
        return;
      }
      results.forEach((r, i) => (r.ok ? items[i]!.resolve(r.value) : items[i]!.reject(describe(r.error))));
    } finally {
      flushing = false;
      if (batch.length > 0) setImmediate(() => void flush());
    }
  }

  /** WAL readers rarely meet a lock (a checkpoint, a recovery); when they do, they wait too. */
  const read = <T>(fn: () => T): Promise<T> => untilUnlocked(fn);

  const writeAlone = <T>(fn: () => T): Promise<T> => noted(patiently(() => immediate(fn)));

  return {
    file: opts.file,
    raw,
    db,
    q,
    get corrupt() {
      return refused();
    },
    get commits() {
      return commits;
    },
    get reruns() {
      return reruns;
    },
    write<T>(fn: () => T): Promise<T> {
      if (opts.groupCommit === false) return writeAlone(fn);
      const refusal = refused();
      if (refusal) return Promise.reject(refusal);
      return noted(
        new Promise<T>((resolve, reject) => {
          if (batch.length === 0 && !flushing) setImmediate(() => void flush());
          batch.push({ fn, resolve: resolve as (v: unknown) => void, reject, deadline: performance.now() + busyTimeoutMs });
        }),
      );
    },
    async health() {
      const refusal = refused();
      if (refusal) return { ok: false, fault: refusal.fault, message: refusal.message };
      const previous = lastFault;
      if (previous) {
        // one try, no waiting: a health check must answer at once, lock or not
        try {
          const version = Number(raw.pragma('user_version', { simple: true }));
          immediate(() => raw.pragma(`user_version = ${version}`));
          lastFault = null;
        } catch (error) {
          const described = describe(error);
          const fault = described instanceof DatabaseError ? described : previous;
          return { ok: false, fault: fault.fault, message: fault.message };
        }
      }
      try {
        await read(() => raw.prepare('SELECT 1').get());
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, fault: error instanceof DatabaseError ? error.fault : 'unavailable', message };
      }
      return { ok: true };
    },
    writeAlone,
    read,
    close() {
      // writes already accepted still commit (synchronously: the process may be about to exit)
      if (batch.length > 0 && raw.open && !refused()) {
        const items = batch;
        batch = [];
        try {
          const results = runBatch.immediate(items);
          results.forEach((r, i) => (r.ok ? items[i]!.resolve(r.value) : items[i]!.reject(describe(r.error))));
        } catch (error) {
          for (const item of items) item.reject(describe(error));
        }
      }
      if (raw.open) raw.close();
    },
  };
}
