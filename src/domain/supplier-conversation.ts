/**
 * One order's conversation with the mock supplier (docs/design.md §5.3), as pure functions over stored
 * records; every state implementation (memory, SQLite, PostgreSQL) loads the records, calls
 * these inside one transaction and stores what they return, so all of them answer alike.
 *
 * Glossary:
 * - **conversation**: everything one Idempotency-Key (one order) said to the supplier and heard.
 * - **script**: the answers a conversation reads, in order, the last repeating. The order's own
 *   script (`order create --supplier-status …`) if it has one, else its SKU's, else `*`'s, else
 *   the default (`accepted`, then `ok`).
 * - **position**: how many answers of the current script the conversation has used, per kind.
 *   A new SKU script (PUT /mock/scripts/{sku}) restarts the positions of the conversations that
 *   follow it: their next answer is the new script's first. An order's own script never changes.
 * - **outcome**: the first final reserve answer (accepted/rejected). Once there is one, every
 *   reserve with the key gets it again (`replay`), with the same ref, and uses no answer. A
 *   transient answer (error, timeout, malformed) is a failed call, not an answer: it binds nothing.
 */
import {
  answerAt,
  cancelAnswers,
  reserveAnswers,
  statusAnswers,
  type CancelScriptAnswer,
  type ReserveScriptAnswer,
  type SkuScript,
  type StatusScriptAnswer,
} from './supplier-script.js';

export interface Conversation {
  key: string;
  sku: string;
  qty: number;
  /** set when accepted */
  ref: string | null;
  outcome: 'accepted' | 'rejected' | null;
  /** the order's own script, or null: it follows its SKU's */
  orderScript: SkuScript | null;
  /** version of the SKU script the positions count in (0: the default script) */
  scriptVersion: number;
  reservePos: number;
  statusPos: number;
  startedAt: number;
  updatedAt: number;
}

/** A SKU script as stored: `version` grows with every change of any stored script. */
export interface StoredScript {
  sku: string;
  script: SkuScript;
  version: number;
  updatedAt: number;
}

export interface CallRecord {
  key: string;
  kind: 'reserve' | 'status' | 'cancel';
  answer: ReserveScriptAnswer | StatusScriptAnswer | CancelScriptAnswer | 'mismatch';
  /** a reserve answered from the outcome, using no answer of the script */
  replay: boolean;
  at: number;
}

export interface ScriptChoice {
  script: SkuScript;
  version: number;
  source: 'order' | 'sku' | '*' | 'default';
}

/** Which script a conversation (or a new one for `sku`) reads now. */
export function chooseScript(orderScript: SkuScript | null, forSku: StoredScript | undefined, star: StoredScript | undefined): ScriptChoice {
  if (orderScript) return { script: orderScript, version: 0, source: 'order' };
  if (forSku) return { script: forSku.script, version: forSku.version, source: 'sku' };
  if (star) return { script: star.script, version: star.version, source: '*' };
  return { script: {}, version: 0, source: 'default' };
}

/** The ref of an accepted reservation: readable, and the same for the same key. */
export const refFor = (key: string, sku: string) => `R.${key}.${sku}`;

function follow(conv: Conversation, choice: ScriptChoice): Conversation {
  if (conv.orderScript || conv.scriptVersion === choice.version) return conv;
  return { ...conv, scriptVersion: choice.version, reservePos: 0, statusPos: 0 };
}

export type ReserveTurn =
  | { kind: 'answer'; answer: ReserveScriptAnswer; replay: boolean; conv: Conversation; call: CallRecord }
  /** the key was used before with another sku or qty: nothing changes */
  | { kind: 'mismatch'; conv: Conversation; call: CallRecord };

export function takeReserveTurn(existing: Conversation | null, req: { key: string; sku: string; qty: number }, choice: ScriptChoice, now: number): ReserveTurn {
  if (existing && (existing.sku !== req.sku || existing.qty !== req.qty)) {
    return { kind: 'mismatch', conv: existing, call: { key: req.key, kind: 'reserve', answer: 'mismatch', replay: false, at: now } };
  }
  const start: Conversation = existing ?? {
    key: req.key,
    sku: req.sku,
    qty: req.qty,
    ref: null,
    outcome: null,
    orderScript: choice.source === 'order' ? choice.script : null,
    scriptVersion: choice.version,
    reservePos: 0,
    statusPos: 0,
    startedAt: now,
    updatedAt: now,
  };
  if (start.outcome) {
    return {
      kind: 'answer',
      answer: start.outcome,
      replay: true,
      conv: start,
      call: { key: req.key, kind: 'reserve', answer: start.outcome, replay: true, at: now },
    };
  }
  const conv = follow(start, choice);
  const answer = answerAt(reserveAnswers(conv.orderScript ?? choice.script), conv.reservePos);
  const next: Conversation = {
    ...conv,
    reservePos: conv.reservePos + 1,
    updatedAt: now,
    ...(answer === 'accepted'
      ? { outcome: 'accepted' as const, ref: refFor(req.key, req.sku) }
      : answer === 'rejected'
        ? { outcome: 'rejected' as const }
        : {}),
  };
  return { kind: 'answer', answer, replay: false, conv: next, call: { key: req.key, kind: 'reserve', answer, replay: false, at: now } };
}

export function takeStatusTurn(conv: Conversation, choice: ScriptChoice, now: number): { answer: StatusScriptAnswer; conv: Conversation; call: CallRecord } {
  const current = follow(conv, choice);
  const answer = answerAt(statusAnswers(current.orderScript ?? choice.script), current.statusPos);
  return {
    answer,
    conv: { ...current, statusPos: current.statusPos + 1, updatedAt: now },
    call: { key: conv.key, kind: 'status', answer, replay: false, at: now },
  };
}

/**
 * One cancel call of an accepted reservation (the engine's compensation). Its answers are read in
 * order from the script's `cancel` list, counted by the cancel calls the conversation has had
 * (`earlier`, oldest first); once one was final (`ok` or `too_late`), every later cancel gets it
 * again (a replay), like a reserve's outcome. Nothing of the conversation itself changes.
 */
export function takeCancelTurn(
  conv: Conversation,
  choice: ScriptChoice,
  earlier: readonly CallRecord[],
  now: number,
): { answer: CancelScriptAnswer; replay: boolean; call: CallRecord } {
  const cancels = earlier.filter((c) => c.kind === 'cancel');
  const final = cancels.find((c) => c.answer === 'ok' || c.answer === 'too_late');
  if (final) {
    const answer = final.answer as CancelScriptAnswer;
    return { answer, replay: true, call: { key: conv.key, kind: 'cancel', answer, replay: true, at: now } };
  }
  const answer = answerAt(cancelAnswers(conv.orderScript ?? choice.script), cancels.length);
  return { answer, replay: false, call: { key: conv.key, kind: 'cancel', answer, replay: false, at: now } };
}
