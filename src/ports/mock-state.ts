/**
 * Where the mock supplier keeps its scripts and conversations: a port owned by the mock
 * (adapters/mock-supplier), implemented by each database adapter with its own connection rules, and
 * picked by src/wiring/mock-state.ts. Every method is one atomic step (one transaction in a
 * database), so any number of processes sharing the state answer one conversation in script order.
 * Implementations: adapters/mock-supplier/memory-state.ts (':memory:' engines: tests, the
 * simulator), adapters/sqlite/mock-state.ts (tables `mock_*` in the engine's file, or the supplier
 * service's own file), adapters/postgres/mock-state.ts (tables `mock_*` in the engine's PostgreSQL
 * database and schema). The answering rules are the pure functions of
 * domain/supplier-conversation.ts, so each implementation only loads and stores records.
 */
import type { CallRecord, Conversation, ReserveTurn, StoredScript } from '../domain/supplier-conversation.js';
import type { CancelScriptAnswer, SkuScript, StatusScriptAnswer } from '../domain/supplier-script.js';

export interface ConversationView extends Conversation {
  /** the script it reads now, both lists written out */
  script: { source: 'order' | 'sku' | '*' | 'default'; reserve: string[]; status: string[]; cancel: string[] };
  calls: CallRecord[];
}

export type StatusTurnResult = { answer: StatusScriptAnswer; conv: Conversation; call: CallRecord };
export type CancelTurnResult = { answer: CancelScriptAnswer; replay: boolean; conv: Conversation; call: CallRecord };

export interface MockState {
  /** Stores SKU (or `*`) scripts, each replacing its SKU's; null deletes one. An unchanged script keeps its version. */
  putScripts(scripts: Record<string, SkuScript | null>, now: number): Promise<void>;
  listScripts(): Promise<StoredScript[]>;

  /**
   * An order's own script, in two steps around the order's creation (its id, hence its key, is
   * known only after): `announce` before, `bind` after (`withdraw` if the order was not created).
   * While an announcement for a SKU is unbound and younger than the `pendingAfter` given to
   * `reserve`, a conversation of that SKU without a script of its own does not start: `reserve`
   * answers `wait`. `bind` returns false when the key's conversation had already started.
   * Announcements use wall time (`wallNow`), as they are about other processes.
   */
  announceOrderScript(sku: string, script: SkuScript, wallNow: number): Promise<number>;
  bindOrderScript(id: number, key: string): Promise<boolean>;
  withdrawOrderScript(id: number): Promise<void>;

  /** One reserve call, answered and recorded atomically (see takeReserveTurn). */
  reserve(req: { key: string; sku: string; qty: number }, now: number, pendingAfter: number): Promise<ReserveTurn | { kind: 'wait' }>;
  /** One status call, answered and recorded atomically; null when no accepted reservation has this ref. */
  status(ref: string, now: number): Promise<StatusTurnResult | null>;
  /** One cancel call, answered and recorded atomically (see takeCancelTurn); null when no accepted reservation has this ref. */
  cancel(ref: string, now: number): Promise<CancelTurnResult | null>;

  /** Every conversation with its calls, oldest first; `key` picks one. */
  conversations(filter?: { key?: string }): Promise<ConversationView[]>;
  close(): Promise<void>;
}
