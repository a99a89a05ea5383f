/**
 * The connection pool shared by the store, the queue and the idempotency records of one backend,
 * with the two ways in:
 * - `tx(fn)`: one READ COMMITTED transaction on one pooled client. `fn` may await its queries (it
 *   holds the client), but nothing else — no HTTP, no clock wait — runs inside. A transaction the
 *   server rolled back for a serialization failure or a deadlock (40001, 40P01) is run again, a
 *   few times, after a short jittered pause; then it fails as a `conflict` DatabaseError.
 * - `read(fn)`: plain queries outside a transaction.
 * Errors come out as DatabaseErrors that say what to check (errors.ts).
 *
 * Every connection starts with `search_path` set to the backend's schema, so unqualified table
 * names are that schema's, and with a `lock_timeout`, so a row lock never waits forever.
 */
import { userInfo } from 'node:os';
import { parse } from 'pg-connection-string';
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { DatabaseError } from '../../domain/errors.js';
import { describePgError, sqlState } from './errors.js';
import * as t from './schema.js';

export type Db = NodePgDatabase<typeof t>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface PgConnectionOptions {
  /** postgres://user@host:port/database (the URL's own query parameters go to the driver) */
  url: string;
  /** connections in the pool (default 10) */
  poolSize?: number;
  /** the schema every table lives in (default `public`) */
  schema?: string;
  /** how long a statement waits for a row lock before failing as `busy` (default 10 s) */
  lockTimeoutMs?: number;
  /** how long opening a connection may take (default 5 s) */
  connectTimeoutMs?: number;
  /**
   * The jobs this engine enqueues are announced to other processes' relays (NOTIFY, see
   * drizzle-pg/0003_relay.sql): for engines that relay nothing themselves (one-off commands).
   */
  notifyEnqueues?: boolean;
}

/** What the adapter counted since it opened (Store.info(), the locking benchmark). */
export interface PgCounters {
  /** optimistic strategy: versioned updates that found the row changed, and retried */
  conflicts: number;
  /** transactions the server rolled back as deadlocks (40P01) */
  deadlocks: number;
  /** transactions rolled back as serialization failures (40001) */
  serializationFailures: number;
  /** transactions run again (after a conflict, a deadlock or a serialization failure) */
  retries: number;
}

export interface PgConnection {
  readonly pool: pg.Pool;
  readonly db: Db;
  readonly schema: string;
  /** the URL without its password, and the schema: for messages */
  readonly label: string;
  readonly counters: PgCounters;
  /** `lazyBegin`: BEGIN goes out with the first statements `fn` sends through `run` (see `transaction`) */
  tx<T>(fn: (tx: Tx) => Promise<T>, opts?: { lazyBegin?: boolean }): Promise<T>;
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** One write statement outside a transaction (a claim): as `read`, its fault remembered for `health` as `tx`'s are. */
  write<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Turn a driver error into a DatabaseError (or return it unchanged). */
  describe(error: unknown): unknown;
  /**
   * Whether the database takes writes: a probe that takes, without waiting, the lock every write
   * takes on the engine's tables (and so needs the server to answer); the fault the last write met
   * (`tx`, `write`) is forgotten once the probe passes. A lock another session holds on the tables
   * stops no `SELECT 1`: with that alone, /healthz said 200 while every write waited
   * (docs/reliability.md, M1).
   */
  health(): Promise<{ ok: true } | { ok: false; fault: DatabaseError['fault']; message: string }>;
  close(): Promise<void>;
}

/**
 * The tables every write of the engine touches, probed by `health`: ROW
 * EXCLUSIVE is the lock an INSERT, UPDATE or DELETE takes, and NOWAIT answers at once when another
 * session holds one that conflicts (LOCK TABLE, an ALTER, a VACUUM FULL).
 */
const WRITTEN_TABLES = ['orders', 'jobs', 'inventory', 'movements', 'order_events'] as const;

/** transactions rolled back by the server (40001, 40P01) are run this many times in all */
const TX_TRIES = 4;

/** A short wall-clock pause with jitter between tries: the database's contention is in wall time. */
export const jitterPause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 2 * 2 ** attempt));

export function labelFor(url: string, schema: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return `${u.toString()}${schema === 'public' ? '' : ` (schema ${schema})`}`;
  } catch {
    return 'postgres (invalid URL)';
  }
}

/** The driver's settings for a URL: libpq's defaults for what it leaves out, our search_path and lock timeout. */
export function poolConfig(opts: PgConnectionOptions): pg.PoolConfig {
  const schema = opts.schema ?? 'public';
  const parsed = parse(opts.url);
  return {
    ...(parsed as pg.PoolConfig),
    // libpq's default: the operating-system user when the URL names none
    user: parsed.user || process.env.PGUSER || userInfo().username,
    password: parsed.password || process.env.PGPASSWORD || undefined,
    port: parsed.port ? Number(parsed.port) : 5432,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 10_000,
    application_name: parsed.application_name || 'warehouse',
    // the URL's own `options` come after ours, so `?options=-c lock_timeout=2s` (or synchronous_commit=off) wins
    options: [
      `-c search_path=${schema} -c lock_timeout=${opts.lockTimeoutMs ?? 10_000}${opts.notifyEnqueues ? ' -c warehouse.notify_enqueues=on' : ''}`,
      parsed.options,
    ]
      .filter(Boolean)
      .join(' '),
  };
}

export function createPool(opts: PgConnectionOptions): pg.Pool {
  const pool = new pg.Pool(poolConfig(opts));
  // an idle client whose server went away: the next query reports it; without a listener it would crash the process
  pool.on('error', () => {});
  // likewise a client in use (a transaction's) whose connection drops: pg-pool listens only while
  // it is idle, and its query or transaction already fails with the error
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * drizzle over one pooled client, made once per client (pg-pool keeps its clients): a transaction's
 * drizzle queries and its prepared statements (`clientOf`) go to the same connection.
 */
const txOf = new WeakMap<pg.PoolClient, Tx>();
const clientOfTx = new WeakMap<Tx, pg.PoolClient>();

/** The connection a transaction of `PgConnection.tx` runs on: for its named (prepared) statements. */
export function clientOf(tx: Tx): pg.PoolClient {
  const client = clientOfTx.get(tx);
  if (!client) throw new Error('clientOf: not a transaction opened by PgConnection.tx');
  return client;
}

/**
 * Where a transaction on a client stands: BEGIN sent yet (a transaction opened with `lazyBegin`
 * sends it with its first statements), COMMIT sent yet (`commit: true` on its last statements).
 */
interface TxState {
  begin: string;
  begun: boolean;
  ended: boolean;
}
const stateOf = new WeakMap<pg.PoolClient, TxState>();

/**
 * `begin` (BEGIN), `fn`, COMMIT on one client; ROLLBACK when `fn` or the commit fails, then the
 * error. `lazyBegin`: BEGIN goes out with the transaction's first statements (`send`), in one round
 * trip — only for a `fn` whose first statement goes through `send`/`run`/`prepared` (a query sent
 * otherwise first would run outside the transaction).
 */
export async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>, opts: { lazyBegin?: boolean; begin?: string } = {}): Promise<T> {
  const state: TxState = { begin: opts.begin ?? 'BEGIN', begun: !opts.lazyBegin, ended: false };
  stateOf.set(client, state);
  try {
    if (state.begun) await client.query(state.begin);
    const result = await fn();
    if (state.begun && !state.ended) await client.query('COMMIT');
    return result;
  } catch (error) {
    // the first error is the one that says what happened; a failed rollback (the connection is gone)
    // adds nothing. Nothing to roll back when BEGIN never went out, or when a COMMIT sent with the
    // last statements ended the transaction (it rolls back a transaction that failed before it)
    if (state.begun && client.getTransactionStatus() !== 'I') await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    stateOf.delete(client);
  }
}

/**
 * BEGIN, `fn`, COMMIT on one client (see `inTransaction`). What drizzle's `transaction` does,
 * without building a drizzle instance and its statements per call.
 */
async function transaction<T>(client: pg.PoolClient, fn: (tx: Tx) => Promise<T>, lazyBegin = false): Promise<T> {
  let tx = txOf.get(client);
  if (!tx) {
    tx = drizzle({ client }) as unknown as Tx;
    txOf.set(client, tx);
    clientOfTx.set(tx, client);
  }
  const own = tx;
  return inTransaction(client, () => fn(own), { lazyBegin });
}

/**
 * Several statements on one client in one round trip: written together (the driver's pipeline
 * mode, its socket corked around them) and answered in order, each its own statement with its own
 * snapshot under READ COMMITTED, as if sent one after the other — a statement waiting for a row
 * lock delays the ones behind it, which start after it. On an error the statements behind it fail
 * too (the transaction is aborted, or a COMMIT behind it rolls it back); the first error is thrown.
 */
export async function pipelined(client: pg.PoolClient, queries: Array<string | pg.QueryConfig>): Promise<pg.QueryResult[]> {
  if (queries.length === 1) return [await client.query(queries[0] as pg.QueryConfig)];
  const c = client as pg.PoolClient & { pipeline: boolean; connection: { stream: { cork(): void; uncork(): void } } };
  c.pipeline = true;
  const sent: Array<Promise<pg.QueryResult>> = [];
  let refused: { error: unknown } | null = null;
  c.connection.stream.cork();
  try {
    for (const q of queries) sent.push(client.query(q as pg.QueryConfig));
  } catch (error) {
    refused = { error };
  } finally {
    c.connection.stream.uncork();
  }
  // every answer is awaited before the client leaves pipeline mode (its queue of sent queries empty)
  const answers = await Promise.allSettled(sent);
  c.pipeline = false;
  if (refused) throw refused.error;
  const failed = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  if (failed) throw failed.reason;
  return answers.map((a) => (a as PromiseFulfilledResult<pg.QueryResult>).value);
}

/** A named statement (parsed and planned once per connection; node-postgres sends only Bind/Execute afterwards). */
export interface Named {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * Statements of the transaction `inTransaction` runs on `client`, in one round trip (`pipelined`):
 * after BEGIN when it has not gone out yet (`lazyBegin`), and followed by COMMIT with `commit: true`
 * (the transaction is then over: nothing may follow, and a failing statement rolls it back).
 * Returns each statement's answer.
 */
export async function send(client: pg.PoolClient, statements: Array<string | pg.QueryConfig>, opts: { commit?: boolean } = {}): Promise<pg.QueryResult[]> {
  const state = stateOf.get(client);
  if (state?.ended) throw new Error('send: the transaction was committed with its last statements already');
  const queries: Array<string | pg.QueryConfig> = [];
  const begin = state !== undefined && !state.begun;
  if (begin) queries.push(state.begin);
  queries.push(...statements);
  if (opts.commit && state) queries.push('COMMIT');
  if (state) {
    state.begun = true;
    if (opts.commit) state.ended = true;
  }
  const answers = await pipelined(client, queries);
  return answers.slice(begin ? 1 : 0, (begin ? 1 : 0) + statements.length);
}

/** `send` on a transaction of `PgConnection.tx`: each statement's rows. */
export async function run(tx: Tx, statements: Named[], opts: { commit?: boolean } = {}): Promise<pg.QueryResultRow[][]> {
  return (await send(clientOf(tx), statements, opts)).map((a) => a.rows);
}

/**
 * One named statement on a transaction's connection: the server parses and plans it once per
 * connection (node-postgres sends only Bind/Execute afterwards). A name stands for one text.
 */
export async function prepared<R extends pg.QueryResultRow>(
  tx: Tx,
  name: string,
  text: string,
  values: unknown[],
  opts: { commit?: boolean } = {},
): Promise<R[]> {
  return (await run(tx, [{ name, text, values }], opts))[0] as R[];
}

export function openPgConnection(opts: PgConnectionOptions): PgConnection {
  const schema = opts.schema ?? 'public';
  const label = labelFor(opts.url, schema);
  const pool = createPool(opts);
  const db: Db = drizzle({ client: pool, schema: t });
  const counters: PgCounters = { conflicts: 0, deadlocks: 0, serializationFailures: 0, retries: 0 };
  const describe = (error: unknown) => describePgError(error, label) ?? error;
  let closed: Promise<void> | null = null;
  /** the last write transaction's database fault; any write that commits clears it */
  let lastFault: DatabaseError | null = null;
  const probeWrites = async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`LOCK TABLE ${WRITTEN_TABLES.join(', ')} IN ROW EXCLUSIVE MODE NOWAIT`);
    } finally {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
    }
  };

  return {
    pool,
    db,
    schema,
    label,
    counters,
    describe,
    async tx(fn, txOpts = {}) {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient | undefined;
        try {
          // a client checked out here and released below whatever happens: drizzle's own pool
          // transaction never releases its client when BEGIN fails (a connection that dropped),
          // and the pool runs dry; a broken client is dropped by the pool on release
          client = await pool.connect();
          const result = await transaction(client, fn, txOpts.lazyBegin);
          lastFault = null;
          return result;
        } catch (error) {
          const state = sqlState(error);
          if (state === '40P01') counters.deadlocks++;
          if (state === '40001') counters.serializationFailures++;
          if ((state === '40P01' || state === '40001') && attempt < TX_TRIES) {
            counters.retries++;
            await jitterPause(attempt);
            continue;
          }
          const described = describe(error);
          if (described instanceof DatabaseError) lastFault = described;
          throw described;
        } finally {
          client?.release();
        }
      }
    },
    async read(fn) {
      try {
        return await fn(db);
      } catch (error) {
        throw describe(error);
      }
    },
    async write(fn) {
      try {
        const result = await fn(db);
        lastFault = null;
        return result;
      } catch (error) {
        const described = describe(error);
        if (described instanceof DatabaseError) lastFault = described;
        throw described;
      }
    },
    async health() {
      // one try, no waiting: a health check must answer at once, lock or not. The probe takes the
      // lock a write takes on every table the engine writes (and so needs the server to answer):
      // another session's LOCK TABLE makes it fail at once while the engine's own writes wait
      // behind that lock without failing yet (no lock_timeout), which the last write's memory
      // alone cannot see
      const previous = lastFault;
      try {
        await probeWrites();
        if (previous && lastFault === previous) lastFault = null;
        return { ok: true };
      } catch (error) {
        const described = describe(error);
        const fault = described instanceof DatabaseError ? described : previous;
        if (fault) return { ok: false, fault: fault.fault, message: fault.message };
        return { ok: false, fault: 'unavailable', message: described instanceof Error ? described.message : String(described) };
      }
    },
    close() {
      closed ??= pool.end().catch(() => {});
      return closed;
    },
  };
}
