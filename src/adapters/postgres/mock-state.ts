/**
 * The mock's state in PostgreSQL, for engines on a `postgres://` database: tables `mock_*` in the
 * engine's database and schema (the one its URL's `?schema=` picks, through the same pool settings
 * as the engine's adapter: `search_path`, lock timeout), created here with CREATE TABLE IF NOT
 * EXISTS, not by the engine's migrations; the engine never reads them. Every process on the
 * database continues the same conversations, and an order's own script outlives the process that
 * announced it.
 *
 * Each call is one READ COMMITTED transaction on one pooled connection: the engine's own pool when
 * the engine opens the state (`Backend.openMockState`: a call holds one connection, as a job's
 * transaction does, and never waits for a second, so sharing cannot starve either; a pool of its
 * own of 2 let 16 jobs' supplier calls through two at a time), else a pool of its own (`warehouse
 * supplier serve`: the URL's `?poolSize=`, default 10). What makes a call atomic against other
 * processes:
 * - a reserve, and the binding of an order script, hold a transaction-level advisory lock named
 *   after the Idempotency-Key, so a new conversation either starts with its bound script or the
 *   binding reports that it came too late (never both);
 * - a reserve or a status call locks the conversation's row (SELECT … FOR UPDATE) before it reads
 *   its positions, so calls from any number of processes take the script's answers in turn;
 * - a script change locks the version counter's row, so versions grow one change at a time.
 * A transaction the server rolls back (deadlock, serialization failure) runs again a few times;
 * other failures come out as DatabaseErrors, which the mock answers as 503 (the engine retries).
 */
import type pg from 'pg';
import type { PostgresConfig } from '../../config.js';
import { createPool, inTransaction, jitterPause, labelFor, send } from './connection.js';
import { describePgError, sqlState } from './errors.js';
import {
  chooseScript,
  takeReserveTurn,
  takeCancelTurn,
  takeStatusTurn,
  type CallRecord,
  type Conversation,
  type StoredScript,
} from '../../domain/supplier-conversation.js';
import { normalizeScript, type SkuScript } from '../../domain/supplier-script.js';
import type { ConversationView, MockState } from '../../ports/mock-state.js';

export type PostgresMockStateOptions = Pick<PostgresConfig, 'url' | 'schema' | 'poolSize'> & {
  /** a pool to share (the engine's, opened on the same URL and schema): not ended by `close` */
  pool?: pg.Pool;
};

const SCHEMA_VERSION = 1;
/** transactions rolled back by the server (40001, 40P01) are run this many times in all */
const TX_TRIES = 4;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

// bigint columns (times, versions, ids) come back as strings: mapped with Number below
const TABLES = `
CREATE TABLE IF NOT EXISTS mock_meta (name text PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE IF NOT EXISTS mock_scripts (
  sku text PRIMARY KEY, script text NOT NULL, version bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS mock_order_scripts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sku text NOT NULL, script text NOT NULL,
  announced_at bigint NOT NULL, idempotency_key text UNIQUE);
CREATE INDEX IF NOT EXISTS mock_order_scripts_unbound ON mock_order_scripts (sku, announced_at) WHERE idempotency_key IS NULL;
CREATE TABLE IF NOT EXISTS mock_conversations (
  idempotency_key text PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  sku text NOT NULL, qty integer NOT NULL, ref text UNIQUE,
  outcome text CHECK (outcome IN ('accepted', 'rejected')), order_script text,
  script_version bigint NOT NULL, reserve_pos integer NOT NULL, status_pos integer NOT NULL,
  started_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS mock_calls (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, idempotency_key text NOT NULL, kind text NOT NULL,
  answer text NOT NULL, replay boolean NOT NULL, at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS mock_calls_by_key ON mock_calls (idempotency_key, id);
INSERT INTO mock_meta (name, value) VALUES ('schema', ${SCHEMA_VERSION}), ('script_version', 0) ON CONFLICT (name) DO NOTHING;
`;

interface ConvRow {
  idempotency_key: string;
  sku: string;
  qty: number;
  ref: string | null;
  outcome: 'accepted' | 'rejected' | null;
  order_script: string | null;
  script_version: string;
  reserve_pos: number;
  status_pos: number;
  started_at: string;
  updated_at: string;
}
interface ScriptRow {
  sku: string;
  script: string;
  version: string;
  updated_at: string;
}
interface CallRow {
  idempotency_key: string;
  kind: string;
  answer: string;
  replay: boolean;
  at: string;
}

const toConv = (r: ConvRow): Conversation => ({
  key: r.idempotency_key,
  sku: r.sku,
  qty: r.qty,
  ref: r.ref,
  outcome: r.outcome,
  orderScript: r.order_script === null ? null : (JSON.parse(r.order_script) as SkuScript),
  scriptVersion: Number(r.script_version),
  reservePos: r.reserve_pos,
  statusPos: r.status_pos,
  startedAt: Number(r.started_at),
  updatedAt: Number(r.updated_at),
});
const INSERT_CONV = `INSERT INTO mock_conversations
  (idempotency_key, sku, qty, ref, outcome, order_script, script_version, reserve_pos, status_pos, started_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
const insertParams = (c: Conversation) => [
  c.key,
  c.sku,
  c.qty,
  c.ref,
  c.outcome,
  c.orderScript === null ? null : JSON.stringify(c.orderScript),
  c.scriptVersion,
  c.reservePos,
  c.statusPos,
  c.startedAt,
  c.updatedAt,
];
/** what a turn may change (the key, SKU, qty, order script and start never change) */
const UPDATE_CONV = `UPDATE mock_conversations SET ref = $2, outcome = $3, script_version = $4, reserve_pos = $5, status_pos = $6, updated_at = $7
  WHERE idempotency_key = $1`;
const updateParams = (c: Conversation) => [c.key, c.ref, c.outcome, c.scriptVersion, c.reservePos, c.statusPos, c.updatedAt];
const toScript = (r: ScriptRow): StoredScript => ({
  sku: r.sku,
  script: JSON.parse(r.script) as SkuScript,
  version: Number(r.version),
  updatedAt: Number(r.updated_at),
});
const toCall = (r: CallRow): CallRecord => ({
  key: r.idempotency_key,
  kind: r.kind as CallRecord['kind'],
  answer: r.answer as CallRecord['answer'],
  replay: r.replay,
  at: Number(r.at),
});

/** A call's record; its parameters numbered after the `after` ones of a statement it joins. */
const INSERT_CALL = (after: number) =>
  `INSERT INTO mock_calls (idempotency_key, kind, answer, replay, at) VALUES (${['text', 'text', 'text', 'boolean', 'bigint'].map((type, i) => `$${after + i + 1}::${type}`).join(', ')})`;
const callParams = (call: CallRecord) => [call.key, call.kind, call.answer, call.replay, call.at];

/** What a reserve that starts a conversation reads: $1 its key, $2 its SKU, $3 announcements newer than this count as pending. */
const FIRST_READ = `SELECT (SELECT script FROM mock_order_scripts WHERE idempotency_key = $1) AS own,
  EXISTS (SELECT 1 FROM mock_order_scripts WHERE idempotency_key IS NULL AND sku = $2 AND announced_at > $3) AS pending,
  (SELECT coalesce(json_agg(s), '[]'::json) FROM mock_scripts s WHERE s.sku IN ($2, '*')) AS scripts`;
interface FirstRead {
  own: string | null;
  pending: boolean;
  /** rows of mock_scripts as JSON (bigints as numbers) */
  scripts: ScriptRow[];
}

const CONV_COLUMNS = 'idempotency_key, sku, qty, ref, outcome, order_script, script_version, reserve_pos, status_pos, started_at, updated_at';

type Client = pg.PoolClient;

/**
 * Opens the state: creates the schema and the tables when they are missing, under the advisory lock
 * the engine's migrations take for the schema (two processes starting at once create them once).
 */
export async function openPostgresMockState(opts: PostgresMockStateOptions): Promise<MockState> {
  const schema = opts.schema ?? 'public';
  const label = labelFor(opts.url, schema);
  const shared = opts.pool !== undefined;
  const pool = opts.pool ?? createPool({ url: opts.url, schema, poolSize: opts.poolSize });
  const describe = (error: unknown) => describePgError(error, label) ?? error;
  /** advisory lock names are database-wide: the schema keeps two schemas' keys apart */
  const keyLock = (key: string) => `warehouse:mock:${schema}:${key}`;

  /**
   * `fn` in one transaction on one client; rolled-back transactions run again, a few times.
   * `lazyBegin`: BEGIN goes out with `fn`'s first statements (connection.ts `send`).
   */
  const tx = async <T>(fn: (c: Client) => Promise<T>, opts: { begin?: string; lazyBegin?: boolean } = {}): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      let client: Client | undefined;
      try {
        client = await pool.connect();
        const c = client;
        return await inTransaction(c, () => fn(c), opts);
      } catch (error) {
        const state = sqlState(error);
        if ((state === '40P01' || state === '40001') && attempt < TX_TRIES) {
          await jitterPause(attempt);
          continue;
        }
        throw describe(error);
      } finally {
        client?.release();
      }
    }
  };

  try {
    const ready = await pool.query<{ t: string | null }>(`SELECT to_regclass('mock_meta')::text AS t`);
    if (!ready.rows[0]?.t) {
      await tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`warehouse:migrate:${schema}`]);
        await c.query('SET LOCAL client_min_messages = warning');
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
        await c.query(TABLES);
      });
    }
  } catch (error) {
    if (!shared) await pool.end().catch(() => {});
    throw describe(error);
  }

  const storedFor = async (c: Client, sku: string) => {
    const r = await c.query<ScriptRow>(`SELECT * FROM mock_scripts WHERE sku IN ($1, '*')`, [sku]);
    const bySku = new Map(r.rows.map((row) => [row.sku, toScript(row)]));
    return { forSku: bySku.get(sku), star: bySku.get('*') };
  };
  const choice = async (c: Client, orderScript: SkuScript | null, sku: string) => {
    // an order's own script reads no SKU script
    if (orderScript) return chooseScript(orderScript, undefined, undefined);
    const { forSku, star } = await storedFor(c, sku);
    return chooseScript(null, forSku, star);
  };
  const addCall = (c: Client, call: CallRecord) => c.query(INSERT_CALL(0), callParams(call));
  const lockKey = (c: Client, key: string) => c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [keyLock(key)]);

  let closed: Promise<void> | null = null;
  return {
    async putScripts(given, now) {
      await tx(async (c) => {
        // one change at a time: the version counter's row is the lock
        const counter = await c.query<{ value: string }>(`SELECT value FROM mock_meta WHERE name = 'script_version' FOR UPDATE`);
        let version = Number(counter.rows[0]!.value);
        for (const [sku, script] of Object.entries(given)) {
          if (script === null) {
            if ((await c.query('DELETE FROM mock_scripts WHERE sku = $1', [sku])).rowCount) version++;
            continue;
          }
          const old = await c.query<ScriptRow>('SELECT * FROM mock_scripts WHERE sku = $1', [sku]);
          const stored = old.rows[0] && toScript(old.rows[0]);
          if (stored && JSON.stringify(normalizeScript(stored.script)) === JSON.stringify(normalizeScript(script))) continue;
          version++;
          await c.query(
            `INSERT INTO mock_scripts (sku, script, version, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sku) DO UPDATE SET script = excluded.script, version = excluded.version, updated_at = excluded.updated_at`,
            [sku, JSON.stringify(script), version, now],
          );
        }
        await c.query(`UPDATE mock_meta SET value = $1 WHERE name = 'script_version'`, [version]);
      });
    },
    async listScripts() {
      try {
        return (await pool.query<ScriptRow>('SELECT * FROM mock_scripts ORDER BY sku')).rows.map(toScript);
      } catch (error) {
        throw describe(error);
      }
    },

    async announceOrderScript(sku, script, wallNow) {
      return tx(async (c) => {
        // announcements their process never bound (it died) are of no use after a minute
        await c.query('DELETE FROM mock_order_scripts WHERE idempotency_key IS NULL AND announced_at < $1', [wallNow - 60_000]);
        const r = await c.query<{ id: string }>('INSERT INTO mock_order_scripts (sku, script, announced_at) VALUES ($1, $2, $3) RETURNING id', [
          sku,
          JSON.stringify(script),
          wallNow,
        ]);
        return Number(r.rows[0]!.id);
      });
    },
    async bindOrderScript(id, key) {
      return tx(async (c) => {
        await lockKey(c, key);
        const bound = await c.query('UPDATE mock_order_scripts SET idempotency_key = $1 WHERE id = $2 AND idempotency_key IS NULL', [key, id]);
        if (bound.rowCount !== 1) throw new Error(`the announced order script ${id} is gone (bound or dropped already)`);
        const started = await c.query('SELECT 1 FROM mock_conversations WHERE idempotency_key = $1', [key]);
        return started.rowCount === 0;
      });
    },
    async withdrawOrderScript(id) {
      await tx((c) => c.query('DELETE FROM mock_order_scripts WHERE id = $1 AND idempotency_key IS NULL', [id]));
    },

    async reserve(req, now, pendingAfter) {
      // two round trips: BEGIN, the key's lock, the conversation's row lock and a new conversation's
      // reads; then the write and COMMIT
      return tx(
        async (c) => {
          // each statement starts once the one before it is done, with a snapshot of its own: the
          // reads after the key's lock see what its last holder committed
          const [, row, firstRead] = await send(c, [
            { text: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', values: [keyLock(req.key)] },
            { name: 'mock_conv_lock', text: `SELECT ${CONV_COLUMNS} FROM mock_conversations WHERE idempotency_key = $1 FOR UPDATE`, values: [req.key] },
            // a new conversation's reads: its own bound script, an announcement still unbound, the SKU's scripts
            { name: 'mock_first_read', text: FIRST_READ, values: [req.key, req.sku, pendingAfter] },
          ]);
          const existing = row!.rows[0] ? toConv(row!.rows[0] as ConvRow) : null;
          const first = firstRead!.rows[0] as FirstRead;
          const bySku = () => new Map(first.scripts.map((r) => [r.sku, toScript(r)]));
          let chosen: ReturnType<typeof chooseScript>;
          // a conversation that exists: its own script, or the SKU's scripts as read after its row lock
          if (existing)
            chosen =
              existing.orderScript || existing.sku !== req.sku
                ? await choice(c, existing.orderScript, existing.sku)
                : chooseScript(null, bySku().get(req.sku), bySku().get('*'));
          else if (first.own !== null) chosen = chooseScript(JSON.parse(first.own) as SkuScript, undefined, undefined);
          else if (first.pending) return { kind: 'wait' as const };
          else chosen = chooseScript(null, bySku().get(req.sku), bySku().get('*'));
          const turn = takeReserveTurn(existing, req, chosen, now);
          const call = callParams(turn.call);
          // the conversation's change and the call's record in one statement, COMMIT with it
          const write =
            turn.kind !== 'answer'
              ? { name: 'mock_call', text: INSERT_CALL(0), values: call }
              : existing
                ? { name: 'mock_conv_update', text: `WITH conv AS (${UPDATE_CONV}) ${INSERT_CALL(7)}`, values: [...updateParams(turn.conv), ...call] }
                : { name: 'mock_conv_insert', text: `WITH conv AS (${INSERT_CONV}) ${INSERT_CALL(11)}`, values: [...insertParams(turn.conv), ...call] };
          await send(c, [write], { commit: true });
          return turn;
        },
        { lazyBegin: true },
      );
    },
    async status(ref, now) {
      return tx(async (c) => {
        const row = await c.query<ConvRow>(`SELECT ${CONV_COLUMNS} FROM mock_conversations WHERE ref = $1 FOR UPDATE`, [ref]);
        if (!row.rows[0]) return null;
        const conv = toConv(row.rows[0]);
        const turn = takeStatusTurn(conv, await choice(c, conv.orderScript, conv.sku), now);
        await c.query(UPDATE_CONV, updateParams(turn.conv));
        await addCall(c, turn.call);
        return turn;
      });
    },
    async cancel(ref, now) {
      return tx(async (c) => {
        // the conversation's row lock orders every call of it, cancels included
        const row = await c.query<ConvRow>(`SELECT ${CONV_COLUMNS} FROM mock_conversations WHERE ref = $1 FOR UPDATE`, [ref]);
        if (!row.rows[0]) return null;
        const conv = toConv(row.rows[0]);
        const earlier = await c.query<CallRow>(`SELECT * FROM mock_calls WHERE idempotency_key = $1 AND kind = 'cancel' ORDER BY id`, [conv.key]);
        const turn = takeCancelTurn(conv, await choice(c, conv.orderScript, conv.sku), earlier.rows.map(toCall), now);
        await addCall(c, turn.call);
        return { ...turn, conv };
      });
    },

    async conversations(filter = {}) {
      // one snapshot for the conversations and their calls
      return tx(
        async (c) => {
          const one = filter.key !== undefined;
          const rows = await c.query<ConvRow>(
            `SELECT ${CONV_COLUMNS} FROM mock_conversations ${one ? 'WHERE idempotency_key = $1' : ''} ORDER BY seq`,
            one ? [filter.key] : [],
          );
          const callRows = await c.query<CallRow>(`SELECT * FROM mock_calls ${one ? 'WHERE idempotency_key = $1' : ''} ORDER BY id`, one ? [filter.key] : []);
          const calls = new Map<string, CallRecord[]>();
          for (const call of callRows.rows.map(toCall)) {
            const list = calls.get(call.key);
            if (list) list.push(call);
            else calls.set(call.key, [call]);
          }
          const scripts = await c.query<ScriptRow>(`SELECT * FROM mock_scripts WHERE sku = ANY($1)`, [[...new Set([...rows.rows.map((r) => r.sku), '*'])]]);
          const stored = new Map(scripts.rows.map((r) => [r.sku, toScript(r)]));
          return rows.rows.map((r): ConversationView => {
            const conv = toConv(r);
            const ch = chooseScript(conv.orderScript, stored.get(conv.sku), stored.get('*'));
            return { ...conv, script: { source: ch.source, ...normalizeScript(ch.script) }, calls: calls.get(conv.key) ?? [] };
          });
        },
        { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
      );
    },
    close() {
      // a shared pool is its owner's to end
      closed ??= shared ? Promise.resolve() : pool.end().catch(() => {});
      return closed;
    },
  };
}
