/**
 * The mock supplier's script (docs/design.md §5.3): per SKU, what successive calls of one order answer.
 * `*` is the script for every SKU not named. An order may also have a script of its own
 * (`order create --supplier-status …`), in the same shape; see supplier-conversation.ts. `skuScriptSchema`
 * reads one from a scenario, a script file or the supplier service's HTTP body.
 */
import { z } from '../kit/zod.js';

export const RESERVE_ANSWERS = ['accepted', 'rejected', 'error', 'timeout', 'malformed'] as const;
export const STATUS_ANSWERS = ['ok', 'fail', 'delayed', 'error', 'timeout', 'malformed'] as const;
/** `ok`: cancelled; `too_late`: delivered anyway (the goods come to stock) */
export const CANCEL_ANSWERS = ['ok', 'too_late', 'error', 'timeout', 'malformed'] as const;
export type CancelScriptAnswer = (typeof CANCEL_ANSWERS)[number];
export type ReserveScriptAnswer = (typeof RESERVE_ANSWERS)[number];
export type StatusScriptAnswer = (typeof STATUS_ANSWERS)[number];

export interface SkuScript {
  /** one answer, or a list for successive reserve calls (the last repeats); default accepted */
  reserve?: ReserveScriptAnswer | ReserveScriptAnswer[];
  /** successive status checks of the order's ref, the last repeating; default [ok] */
  status?: StatusScriptAnswer | StatusScriptAnswer[];
  /** successive cancel calls of the order's ref (the compensation), the last repeating; default [ok] */
  cancel?: CancelScriptAnswer | CancelScriptAnswer[];
}
export type SupplierScript = Record<string, SkuScript>;

const list = (values: readonly string[]) => values.join(', ');

/** one answer or a list of answers: always a non-empty list after parsing */
const answers = (values: readonly string[], what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z
      .array(z.enum(values as [string, ...string[]], { error: `not a supplier ${what} answer: use one of ${list(values)}` }), {
        error: `expected a ${what} answer or a list of them (${list(values)})`,
      })
      .min(1, { error: `expected at least one ${what} answer (${list(values)})` }),
  );

export const skuScriptSchema = z.strictObject({
  reserve: answers(RESERVE_ANSWERS, 'reserve').optional(),
  status: answers(STATUS_ANSWERS, 'status').optional(),
  cancel: answers(CANCEL_ANSWERS, 'cancel').optional(),
});

const asList = <T>(v: T | T[] | undefined, fallback: T[]): T[] => (v === undefined ? fallback : Array.isArray(v) ? (v.length ? v : fallback) : [v]);

/** The answer for the `n`-th call (0-based) of a conversation: the last answer repeats. */
export function answerAt<T>(list: T[], n: number): T {
  return list[Math.min(n, list.length - 1)]!;
}

/** A SKU's (or an order's) reserve answers, the default filled in. */
export function reserveAnswers(script: SkuScript): ReserveScriptAnswer[] {
  return asList(script.reserve, ['accepted']);
}

/** A SKU's (or an order's) status answers, the default filled in. */
export function statusAnswers(script: SkuScript): StatusScriptAnswer[] {
  return asList(script.status, ['ok']);
}

/** A SKU's (or an order's) cancel answers, the default filled in. */
export function cancelAnswers(script: SkuScript): CancelScriptAnswer[] {
  return asList(script.cancel, ['ok']);
}

/** The script with every list written out: how it is stored and shown. */
export function normalizeScript(script: SkuScript): { reserve: ReserveScriptAnswer[]; status: StatusScriptAnswer[]; cancel: CancelScriptAnswer[] } {
  return { reserve: reserveAnswers(script), status: statusAnswers(script), cancel: cancelAnswers(script) };
}

/** Parses a comma-separated CLI list such as `delayed,delayed,ok`, naming the bad item. */
export function parseAnswerList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim().toLowerCase());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${flag}: "${item}" is not a supplier answer; use a comma-separated list of ${allowed.join(', ')}`);
    }
  }
  return items as T[];
}
