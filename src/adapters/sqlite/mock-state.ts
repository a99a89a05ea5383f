/**
 * The mock's state in SQLite: tables `mock_*`, created here (not by the engine's migrations; the
 * engine never reads them), on a connection of the mock's own. In-process, that is the engine's
 * file, so every process on it continues the same conversations; `warehouse supplier serve` uses
 * a file of its own. Each call is one short BEGIN IMMEDIATE transaction, committed before the
 * answer leaves. Another process's write lock is waited for by asynchronous retries up to the busy
 * timeout (at open too: the SQLite adapter's `waitForLock`), never inside SQLite, so the event
 * loop never freezes on it (NOTES.md). SQLite's errors come out as the engine's DatabaseErrors
 * (the SQLite adapter's `describeInUse`): in-process the file is the engine's, so its trouble is
 * the database's, and damage met here latches the refusal of writes for every connection to it.
 * The connection runs WAL with synchronous=NORMAL: a committed answer survives any
 * crash of any process; only a power loss may forget the last few (a mock can afford that, and
 * it makes a call 0.14 ms instead of 2.7 ms here).
 */
import Database from 'better-sqlite3';
import { describeInUse, isBusy, refusalOf, waitForLock } from './open.js';
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

export interface SqliteMockStateOptions {
  file: string;
  /** how long a write waits for another process's lock before failing (default 5 s) */
  busyTimeoutMs?: number;
  /** how long opening waits for another process's lock (default busyTimeoutMs; Infinity: as long as it lasts) */
  lockWaitMs?: number;
  /** told once when opening waits for another process's lock */
  onLockWait?: (message: string) => void;
}

const RETRY_MS = 10;

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mock_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mock_scripts (
  sku TEXT PRIMARY KEY, script TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mock_order_scripts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sku TEXT NOT NULL, script TEXT NOT NULL,
  announced_at INTEGER NOT NULL, idempotency_key TEXT UNIQUE);
CREATE INDEX IF NOT EXISTS mock_order_scripts_unbound ON mock_order_scripts (sku, announced_at) WHERE idempotency_key IS NULL;
CREATE TABLE IF NOT EXISTS mock_conversations (
  idempotency_key TEXT PRIMARY KEY, sku TEXT NOT NULL, qty INTEGER NOT NULL, ref TEXT UNIQUE,
  outcome TEXT CHECK (outcome IN ('accepted', 'rejected')), order_script TEXT,
  script_version INTEGER NOT NULL, reserve_pos INTEGER NOT NULL, status_pos INTEGER NOT NULL,
  started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mock_calls (
  id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL, kind TEXT NOT NULL,
  answer TEXT NOT NULL, replay INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS mock_calls_by_key ON mock_calls (idempotency_key, id);
INSERT OR IGNORE INTO mock_meta (name, value) VALUES ('schema', ${SCHEMA_VERSION}), ('script_version', 0);
`;

interface ConvRow {
  idempotency_key: string;
  sku: string;
  qty: number;
  ref: string | null;
  outcome: 'accepted' | 'rejected' | null;
  order_script: string | null;
  script_version: number;
  reserve_pos: number;
  status_pos: number;
  started_at: number;
  updated_at: number;
}

const toConv = (r: ConvRow): Conversation => ({
  key: r.idempotency_key,
  sku: r.sku,
  qty: r.qty,
  ref: r.ref,
  outcome: r.outcome,
  orderScript: r.order_script === null ? null : (JSON.parse(r.order_script) as SkuScript),
  scriptVersion: r.script_version,
  reservePos: r.reserve_pos,
  statusPos: r.status_pos,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
});
const fromConv = (c: Conversation): ConvRow => ({
  idempotency_key: c.key,
  sku: c.sku,
  qty: c.qty,
  ref: c.ref,
  outcome: c.outcome,
  order_script: c.orderScript === null ? null : JSON.stringify(c.orderScript),
  script_version: c.scriptVersion,
  reserve_pos: c.reservePos,
  status_pos: c.statusPos,
  started_at: c.startedAt,
  updated_at: c.updatedAt,
});
const toScript = (r: { sku: string; script: string; version: number; updated_at: number }): StoredScript => ({
  sku: r.sku,
  script: JSON.parse(r.script) as SkuScript,
  version: r.version,
  updatedAt: r.updated_at,
});
const toCall = (r: { idempotency_key: string; kind: string; answer: string; replay: number; at: number }): CallRecord => ({
  key: r.idempotency_key,
  kind: r.kind as CallRecord['kind'],
  answer: r.answer as CallRecord['answer'],
  replay: r.replay === 1,
  at: r.at,
});

export async function openSqliteMockState(opts: SqliteMockStateOptions): Promise<MockState> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;
  const { file } = opts;
  const describe = (error: unknown) => describeInUse(error, file, busyTimeoutMs) ?? error;
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
  } catch (error) {
    throw describe(error);
  }
  try {
    const raw = db;
    const wait = { ...opts, busyTimeoutMs };
    if (file !== ':memory:') await waitForLock(() => raw.pragma('journal_mode = WAL'), wait);
    db.pragma('synchronous = NORMAL');
    // a file that has the tables already is not written to on open; creating them waits for
    // another process's lock asynchronously, as every call does
    const ready = await waitForLock(() => raw.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mock_meta'`).get(), wait);
    if (!ready) await waitForLock(() => raw.transaction(() => raw.exec(SCHEMA)).immediate(), wait);
  } catch (error) {
    db.close();
    throw describe(error);
  }

  const q = {
    script: db.prepare<[string], { sku: string; script: string; version: number; updated_at: number }>('SELECT * FROM mock_scripts WHERE sku = ?'),
    scripts: db.prepare<[], { sku: string; script: string; version: number; updated_at: number }>('SELECT * FROM mock_scripts ORDER BY sku'),
    bumpVersion: db.prepare<[], { value: number }>(`UPDATE mock_meta SET value = value + 1 WHERE name = 'script_version' RETURNING value`),
    putScript: db.prepare(
      'INSERT INTO mock_scripts (sku, script, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE SET script = excluded.script, version = excluded.version, updated_at = excluded.updated_at',
    ),
    deleteScript: db.prepare('DELETE FROM mock_scripts WHERE sku = ?'),
    announce: db.prepare<[string, string, number], { id: number }>('INSERT INTO mock_order_scripts (sku, script, announced_at) VALUES (?, ?, ?) RETURNING id'),
    dropStale: db.prepare('DELETE FROM mock_order_scripts WHERE idempotency_key IS NULL AND announced_at < ?'),
    bind: db.prepare('UPDATE mock_order_scripts SET idempotency_key = ? WHERE id = ? AND idempotency_key IS NULL'),
    withdraw: db.prepare('DELETE FROM mock_order_scripts WHERE id = ? AND idempotency_key IS NULL'),
    orderScript: db.prepare<[string], { script: string }>('SELECT script FROM mock_order_scripts WHERE idempotency_key = ?'),
    pending: db.prepare<[string, number], { id: number }>(
      'SELECT id FROM mock_order_scripts WHERE idempotency_key IS NULL AND sku = ? AND announced_at > ? LIMIT 1',
    ),
    conv: db.prepare<[string], ConvRow>('SELECT * FROM mock_conversations WHERE idempotency_key = ?'),
    convByRef: db.prepare<[string], ConvRow>('SELECT * FROM mock_conversations WHERE ref = ?'),
    convs: db.prepare<[], ConvRow>('SELECT * FROM mock_conversations ORDER BY rowid'),
    saveConv: db.prepare(
      `INSERT INTO mock_conversations VALUES (@idempotency_key, @sku, @qty, @ref, @outcome, @order_script, @script_version, @reserve_pos, @status_pos, @started_at, @updated_at)
       ON CONFLICT (idempotency_key) DO UPDATE SET ref = excluded.ref, outcome = excluded.outcome, script_version = excluded.script_version,
         reserve_pos = excluded.reserve_pos, status_pos = excluded.status_pos, updated_at = excluded.updated_at`,
    ),
    addCall: db.prepare('INSERT INTO mock_calls (idempotency_key, kind, answer, replay, at) VALUES (?, ?, ?, ?, ?)'),
    calls: db.prepare<[], { idempotency_key: string; kind: string; answer: string; replay: number; at: number }>('SELECT * FROM mock_calls ORDER BY id'),
    callsOf: db.prepare<[string], { idempotency_key: string; kind: string; answer: string; replay: number; at: number }>(
      'SELECT * FROM mock_calls WHERE idempotency_key = ? ORDER BY id',
    ),
  };

  const stored = (sku: string) => {
    const row = q.script.get(sku);
    return row ? toScript(row) : undefined;
  };
  const choice = (orderScript: SkuScript | null, sku: string) => chooseScript(orderScript, stored(sku), stored('*'));
  const addCall = (c: CallRecord) => q.addCall.run(c.key, c.kind, c.answer, c.replay ? 1 : 0, c.at);
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  /**
   * One IMMEDIATE transaction; while another process holds the lock, retried without blocking.
   * Refused once the file was found corrupt (here or by any connection to it); SQLite's errors
   * come out as DatabaseErrors.
   */
  const immediate = async <T>(fn: () => T): Promise<T> => {
    const started = performance.now();
    for (;;) {
      const refusal = refusalOf(file);
      if (refusal) throw refusal;
      try {
        return inTransaction.immediate(fn) as T;
      } catch (error) {
        if (!isBusy(error) || performance.now() - started + RETRY_MS > busyTimeoutMs) throw describe(error);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  };
  /** A read: SQLite's errors as DatabaseErrors (damage met here latches too). */
  const reading = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw describe(error);
    }
  };

  return {
    async putScripts(given, now) {
      await immediate(() => {
        for (const [sku, script] of Object.entries(given)) {
          if (script === null) {
            if (q.deleteScript.run(sku).changes) q.bumpVersion.get();
            continue;
          }
          const old = stored(sku);
          if (old && JSON.stringify(normalizeScript(old.script)) === JSON.stringify(normalizeScript(script))) continue;
          q.putScript.run(sku, JSON.stringify(script), q.bumpVersion.get()!.value, now);
        }
      });
    },
    async listScripts() {
      return reading(() => q.scripts.all().map(toScript));
    },

    async announceOrderScript(sku, script, wallNow) {
      return immediate(() => {
        // announcements their process never bound (it died) are of no use after a minute
        q.dropStale.run(wallNow - 60_000);
        return q.announce.get(sku, JSON.stringify(script), wallNow)!.id;
      });
    },
    async bindOrderScript(id, key) {
      return immediate(() => {
        if (q.bind.run(key, id).changes !== 1) throw new Error(`the announced order script ${id} is gone (bound or dropped already)`);
        return q.conv.get(key) === undefined;
      });
    },
    async withdrawOrderScript(id) {
      await immediate(() => q.withdraw.run(id));
    },

    async reserve(req, now, pendingAfter) {
      return immediate(() => {
        const row = q.conv.get(req.key);
        const existing = row ? toConv(row) : null;
        let orderScript = existing?.orderScript ?? null;
        if (!existing) {
          const own = q.orderScript.get(req.key);
          if (own) orderScript = JSON.parse(own.script) as SkuScript;
          else if (q.pending.get(req.sku, pendingAfter)) return { kind: 'wait' as const };
        }
        const turn = takeReserveTurn(existing, req, choice(orderScript, existing?.sku ?? req.sku), now);
        if (turn.kind === 'answer') q.saveConv.run(fromConv(turn.conv));
        addCall(turn.call);
        return turn;
      });
    },
    async status(ref, now) {
      return immediate(() => {
        const row = q.convByRef.get(ref);
        if (!row) return null;
        const conv = toConv(row);
        const turn = takeStatusTurn(conv, choice(conv.orderScript, conv.sku), now);
        q.saveConv.run(fromConv(turn.conv));
        addCall(turn.call);
        return turn;
      });
    },
    async cancel(ref, now) {
      return immediate(() => {
        const row = q.convByRef.get(ref);
        if (!row) return null;
        const conv = toConv(row);
        const turn = takeCancelTurn(conv, choice(conv.orderScript, conv.sku), q.callsOf.all(conv.key).map(toCall), now);
        addCall(turn.call);
        return { ...turn, conv };
      });
    },

    async conversations(filter = {}) {
      return reading(
        () =>
          inTransaction.deferred(() => {
            const rows = filter.key === undefined ? q.convs.all() : [q.conv.get(filter.key)].filter((r): r is ConvRow => r !== undefined);
            const calls = new Map<string, CallRecord[]>();
            for (const c of (filter.key === undefined ? q.calls.all() : q.callsOf.all(filter.key)).map(toCall)) {
              const list = calls.get(c.key);
              if (list) list.push(c);
              else calls.set(c.key, [c]);
            }
            return rows.map((r): ConversationView => {
              const conv = toConv(r);
              const c = choice(conv.orderScript, conv.sku);
              return { ...conv, script: { source: c.source, ...normalizeScript(c.script) }, calls: calls.get(conv.key) ?? [] };
            });
          }) as ConversationView[],
      );
    },
    async close() {
      db.close();
    },
  };
}
