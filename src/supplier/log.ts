/**
 * The supplier service's log: one line per call, readable on a projector:
 *
 *   09:00:01.204  reserve  order-12  WIDGET × 5  → accepted  R.order-12.WIDGET
 *   09:00:16.210  status   order-12  R.order-12.WIDGET  → delayed
 *   09:00:18.002  script   WIDGET  reserve [accepted]  status [fail]
 *
 * With `json`, one JSON object per line instead.
 */
import type { AnsweredCall } from '../adapters/mock-supplier/answers.js';

export type LogLine = { kind: 'call'; call: AnsweredCall } | { kind: 'script'; sku: string; reserve: string[] | null; status: string[] | null; at: number };

const time = (at: number) => new Date(at).toISOString().slice(11, 23);

const OUTCOME: Record<string, string> = {
  timeout: 'timeout (no answer sent)',
  malformed: 'malformed (a body that breaks the contract)',
  mismatch: 'refused: the key was used with another body (422)',
  'bad-request': 'refused: not a valid request (400)',
  'unknown-ref': 'refused: unknown ref (404)',
  busy: "refused: the mock's state is busy (503)",
};

export function formatLogLine(line: LogLine): string {
  if (line.kind === 'script') {
    const what =
      line.reserve === null ? 'deleted; the default or * applies' : `reserve [${line.reserve.join(', ')}]  status [${(line.status ?? []).join(', ')}]`;
    return `${time(line.at)}  script   ${line.sku}  ${what}`;
  }
  const c = line.call;
  const outcome = OUTCOME[c.answer] ?? (c.answer === 'error' ? `error (${c.httpStatus})` : c.answer);
  if (c.kind === 'reserve') {
    const what = c.sku === null ? '' : `  ${c.sku} × ${c.qty}`;
    const ref = c.answer === 'accepted' ? `  ${c.ref}` : '';
    return `${time(c.at)}  reserve  ${c.key ?? '(no key)'}${what}  → ${outcome}${ref}${c.replay ? '  (replayed: same key, same answer)' : ''}`;
  }
  return `${time(c.at)}  status   ${c.key ?? '?'}  ${c.ref}  → ${outcome}`;
}
