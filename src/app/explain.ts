/**
 * `order explain`: why an order is where it is, in plain words, from its timeline and the settings
 * it ran under. A pure function (no I/O, no clock): the CLI, the HTTP API, the dashboard and the
 * demo's narration all use it.
 *
 * It gives three things:
 * - the state path, `pending → awaiting_restock → failed`;
 * - a one-line account: `short by 23 → asked the supplier (accepted, ref R…) → checked at +15 s
 *   (delayed), +30 s (delayed), +45 s (delayed) → the delayed budget (2 retries) was used up →
 *   failed: supplier_delayed`;
 * - one or two sentences per event, naming the part of the design that acted (the outbox, the row
 *   lock, the idempotency key, the retry budget, the delayed budget, the dead-letter store),
 *   and, for an order that is not final, what happens next.
 *
 * Counts that the timeline records (checks made, attempts spent) are read from it; the settings
 * only fill in what has not happened yet (how much of a budget is left).
 */
import type { TimelineEvent } from '../domain/events.js';
import { isSettled, type FailureReason, type Order, type OrderStatus } from '../domain/order.js';
import type { Settings } from '../domain/settings.js';
import { keyBeforeIdentity } from './keys.js';

export type ExplainSettings = Pick<Settings, 'maxDelayedRetries' | 'jobAttempts'>;

export interface ExplainedEvent {
  /** epoch ms */
  at: number;
  /** ms since the order's creation */
  since: number;
  type: string;
  /** one or two plain sentences */
  text: string;
  /** the state change this event records, if any */
  transition: { from: OrderStatus; to: OrderStatus } | null;
}

export interface Explanation {
  orderId: number;
  status: OrderStatus;
  failureReason: FailureReason | null;
  /** the states the order went through, in order */
  path: OrderStatus[];
  /** the path written `pending → awaiting_restock → failed` */
  pathText: string;
  /** the whole story in one line of `→`-separated parts */
  summary: string;
  events: ExplainedEvent[];
  /** what happens next, for an order that is not final; null once final */
  next: string | null;
}

export const ARROW = ' → ';

/** `+15 s`, `+1.234 s`: a time since the order's creation, short. */
export function offset(ms: number): string {
  const s = ms / 1000;
  return `+${Number.isInteger(s) ? s : Number(s.toFixed(3))} s`;
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** a transient error as a person says it: `HTTP 500`, `timeout`, `malformed answer` */
function errorWord(data: Record<string, unknown>): string {
  const kind = str(data.kind);
  const message = str(data.error);
  const http = /HTTP \d{3}/.exec(message)?.[0];
  if (kind === 'http_error' || (!kind && http)) return http ?? 'HTTP error';
  if (kind === 'timeout' || (!kind && /timed out|timeout/i.test(message))) return 'timeout';
  if (kind === 'malformed' || (!kind && /not JSON|malformed|invalid/i.test(message))) return 'malformed answer';
  if (kind === 'network' || (!kind && /network|fetch failed/i.test(message))) return 'network error';
  return kind || 'error';
}

/** `HTTP 500 ×4, timeout`: repeated words counted, in order of first appearance */
function tally(words: string[]): string {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].map(([w, n]) => (n > 1 ? `${w} ×${n}` : w)).join(', ');
}

const REASON_TEXT: Record<FailureReason, string> = {
  supplier_rejected: 'the supplier refused the reservation',
  supplier_failed: 'the supplier said it cannot deliver',
  supplier_delayed: 'the supplier stayed delayed past the delayed budget',
  supplier_unavailable: 'the supplier could not be reached within the retry budget',
  supplier_key_conflict: "the supplier refused the order's Idempotency-Key as used before for another order (a key conflict, dead-lettered at once)",
};

export function explainOrder(order: Order, events: readonly TimelineEvent[], settings: ExplainSettings): Explanation {
  const since = (at: number) => at - order.createdAt;
  const path: OrderStatus[] = ['pending'];
  const parts: string[] = [];
  const explained: ExplainedEvent[] = [];
  let state: OrderStatus = 'pending';
  /** the checks made so far, as `+15 s (delayed)`, joined into one part */
  let checks: string[] = [];
  /** transient failures since the last answered call */
  let failures: string[] = [];
  let delayedSeen = 0;
  let lastCheck = 0;

  const flushChecks = () => {
    if (checks.length) parts.push(`checked at ${checks.join(', ')}`);
    checks = [];
  };
  const afterFailures = (what: string) => {
    const text = failures.length ? `${what}, after ${plural(failures.length, 'transient error')} (${tally(failures)})` : what;
    failures = [];
    return text;
  };

  for (const e of events) {
    const d = e.data;
    let text: string;
    let transition: ExplainedEvent['transition'] = null;
    const move = (to: OrderStatus) => {
      transition = { from: state, to };
      state = to;
      path.push(to);
    };
    if (order.lineCount && typeof d.line === 'number') {
      // a line's event (docs/design.md §2.6): told as the line's; the order moves only with its own events
      const line = explainLine(
        e,
        order.lines?.find((l) => l.lineNo === d.line),
        since,
      );
      if (line.part) parts.push(line.part);
      if (e.type === 'SupplierReservationAccepted' && state === 'pending') {
        move('awaiting_restock');
        line.text += ' The order waits (awaiting_restock) while a line waits on the supplier.';
      }
      explained.push({ at: e.at, since: since(e.at), type: e.type, text: line.text, transition });
      continue;
    }
    switch (e.type) {
      case 'OrderCreated':
        text = order.lineCount
          ? `Order #${order.id} (${order.lines?.map((l) => `${l.sku} × ${l.qty}`).join(' + ') ?? order.sku}) is stored pending with its ${order.lineCount} lines, and its ReserveInventory job is written in the same transaction (the transactional outbox). Every line is reserved, or none.`
          : `Order #${order.id} (${order.sku} × ${order.qty}) is stored pending, and its ReserveInventory job is written in the same transaction (the transactional outbox): a crash cannot leave the order without its job.`;
        break;
      case 'InventoryReserved':
        if (d.source === 'stock') {
          const after = num(d.onHandAfter);
          text = `Under the inventory row's write lock, ${after + order.qty} on hand covered ${order.qty}: a reservation movement of −${order.qty} leaves ${after}. The lock serialises reservations of one SKU, so no unit is sold twice.`;
          parts.push(`${order.qty} in stock (on-hand ${after + order.qty} → ${after})`);
        } else {
          text = `The supplier's delivery is booked in and reserved in one transaction: a restock movement of +${order.qty} and a reservation of −${order.qty}, so on-hand is unchanged and the ledger shows both sides.`;
          flushChecks();
          parts.push(`the delivery of ${order.qty} was booked in and reserved`);
        }
        break;
      case 'SupplierReservationRequested':
        if (d.again) {
          text = `Attempt ${num(d.attempt)}: the supplier is asked again with the same Idempotency-Key (${typeof d.key === 'string' ? d.key : keyBeforeIdentity(order.id)}); if it already holds a reservation for this order, it answers with that one instead of making a second.`;
        } else {
          text = `Only ${num(d.onHand)} on hand, short by ${num(d.shortBy)}: nothing changes locally. After that transaction commits, the job asks the supplier to reserve (never inside a transaction), with Idempotency-Key ${typeof d.key === 'string' ? d.key : keyBeforeIdentity(order.id)}, so asking twice cannot reserve twice.`;
          parts.push(`short by ${num(d.shortBy)}`);
        }
        break;
      case 'SupplierReservationAccepted':
        move('awaiting_restock');
        text = `The supplier accepted (ref ${str(d.ref)}): in one transaction the order moves to awaiting_restock and a CheckSupplierStatus job is scheduled at ${offset(since(num(d.nextCheckAt)))}.`;
        parts.push(afterFailures(`asked the supplier (accepted, ref ${str(d.ref)})`));
        break;
      case 'SupplierReservationRejected':
        text = 'The supplier refused the reservation.';
        parts.push(afterFailures('asked the supplier (rejected)'));
        break;
      case 'SupplierStatusChecked': {
        const status = str(d.status);
        const check = num(d.check);
        lastCheck = check;
        checks.push(`${offset(since(e.at))} (${failures.length ? `${status}, after ${tally(failures)}` : status})`);
        failures = [];
        if (status === 'delayed') {
          delayedSeen++;
          text =
            d.nextCheckAt !== undefined
              ? `Check ${check}: delayed. That is retry ${delayedSeen} of the delayed budget (${settings.maxDelayedRetries}); the next check is at ${offset(since(num(d.nextCheckAt)))}.`
              : `Check ${check}: delayed again, and the delayed budget (${plural(check - 1, 'retry', 'retries')}) is used up.`;
        } else if (status === 'ok') text = `Check ${check}: ok, the supplier delivered.`;
        else text = `Check ${check}: fail, the supplier cannot deliver.`;
        break;
      }
      case 'SupplierCallFailed': {
        const call = d.jobType === 'CheckSupplierStatus' ? 'status check' : 'reserve call';
        const word = errorWord(d);
        failures.push(word);
        const attempt = num(d.attempt);
        text = `The supplier's ${call} failed (${word}), a transient error: the job runner retries it at ${offset(since(num(d.retryAt)))} with exponential backoff and jitter (attempt ${attempt + 1} of ${settings.jobAttempts}, the retry budget). Transient errors never use up the delayed budget.`;
        break;
      }
      case 'JobDeadLettered': {
        const attempts = num(d.attempts);
        text = `${str(d.jobType)} failed on attempt ${attempts} too: the retry budget (${plural(attempts, 'attempt')}) is spent, so the job goes to the dead-letter store, where an operator sees it and can retry it.`;
        if (!isSettled(state)) {
          flushChecks();
          const call = d.jobType === 'CheckSupplierStatus' ? 'the status check' : 'the reserve call';
          parts.push(
            `${call} failed ${attempts} times (${tally([...failures, errorWord(d)])})`,
            `the retry budget (${plural(attempts, 'attempt')}) ran out`,
            `${str(d.jobType)} dead-lettered`,
          );
          failures = [];
        } else parts.push('a job was dead-lettered (the order was already final)');
        break;
      }
      case 'JobRetried':
        text = isSettled(state)
          ? `An operator put the dead-lettered job back on the queue; the order is already ${state}, a final state, so the job changes nothing.`
          : 'An operator put the dead-lettered job back on the queue.';
        parts.push('an operator retried the dead letter');
        break;
      case 'JobDeferred':
        text = `The job was stopped by the database's trouble (${str(d.kind)}) and runs again at ${offset(since(num(d.retryAt)))}, without spending an attempt: that trouble is not the supplier's.`;
        break;
      case 'JobParked':
        text = `The job is parked (${str(d.reason)}): it waits for an operator (warehouse jobs resume) or for the database to recover.`;
        parts.push('its job was parked');
        break;
      case 'JobResumed':
        text = 'The parked job was put back on the queue.';
        break;
      case 'OrderReserved':
        move('reserved');
        flushChecks();
        text =
          typeof d.lines === 'number'
            ? `Every line is reserved, so the order is${typeof d.expiresAt === 'number' ? `, until ${offset(since(d.expiresAt))} (its time to live: the order expires as a whole)` : ''}.`
            : typeof d.expiresAt === 'number'
              ? `The order is reserved. The reservation holds its units until ${offset(since(d.expiresAt))} (its time to live): an ExpireReservation job, written in the same transaction, releases them then unless the order is fulfilled or cancelled first.`
              : 'The order is reserved: its units are held for it until someone fulfils or cancels it.';
        parts.push('reserved');
        break;
      case 'CancelRequested':
        move('cancelling');
        text =
          d.from === 'awaiting_restock'
            ? `Someone cancelled the order while the supplier holds a reservation for it (ref ${str(d.ref)}): it is cancelling. Its next status check is dropped, and a CancelSupplierReservation job (the compensation) asks the supplier to cancel, in the same transaction.`
            : 'Someone cancelled the order while its reserve call was under way: it is cancelling. The call finishes the conversation with the supplier; whatever the supplier reserved is then cancelled there.';
        parts.push('cancel requested');
        break;
      case 'SupplierReservationCancelled':
        text =
          d.tooLate === true
            ? 'The supplier answered the cancel too late: it has delivered. The goods are booked to stock below.'
            : `The supplier cancelled its reservation (ref ${str(d.ref)}): nothing will be delivered.`;
        parts.push(d.tooLate === true ? 'the supplier had delivered' : 'the supplier cancelled');
        break;
      case 'SupplierReservationCancelFailed': {
        const word = errorWord(d);
        failures.push(word);
        text = `The supplier's cancel call failed (${word}), a transient error: the compensation runs again at ${offset(since(num(d.retryAt)))}, with the same Idempotency-Key.`;
        break;
      }
      case 'SupplierDeliveryRestocked':
        text = `The supplier's delivery of ${num(d.qty)} is booked to stock as a restock movement (on-hand ${num(d.onHandAfter)}): nothing is lost, and nothing is held for a cancelled order.`;
        parts.push('the delivery restocked');
        break;
      case 'ReservationReleased':
        text = `The reservation is released: a release movement of +${num(d.qty)} gives the units back (on-hand ${num(d.onHandAfter)}), in the same transaction as the ${d.reason === 'expired' ? 'expiry' : 'cancellation'}.`;
        parts.push('units released');
        break;
      case 'OrderCancelled':
        move('cancelled');
        flushChecks();
        text = 'The order is cancelled, a final state.';
        parts.push('cancelled');
        break;
      case 'OrderExpired':
        move('expired');
        text = 'Nobody fulfilled the order within its time to live: it expired, a final state.';
        parts.push('expired');
        break;
      case 'OrderFulfilled':
        move('fulfilled');
        text = `The order is fulfilled, a final state: its ${order.qty} reserved units leave the warehouse. Available stock does not move (they left it when they were reserved); on hand drops by ${order.qty}.`;
        parts.push('fulfilled');
        break;
      case 'OrderFailed': {
        move('failed');
        flushChecks();
        const reason = str(d.reason) as FailureReason;
        if (reason === 'supplier_delayed') parts.push(`the delayed budget (${plural(lastCheck - 1, 'retry', 'retries')}) was used up`);
        text =
          typeof d.failedLine === 'number'
            ? `Line ${d.failedLine} (${str(d.sku)}) failed, so the order fails with its reason: ${reason} (${REASON_TEXT[reason] ?? reason}), a final state. In the same transaction every other line is undone (the compensation).`
            : `The order failed: ${reason} (${REASON_TEXT[reason] ?? reason}), a final state.`;
        parts.push(`failed: ${reason}`);
        break;
      }
      default:
        text = `${e.type}.`;
    }
    explained.push({ at: e.at, since: since(e.at), type: e.type, text, transition });
  }
  flushChecks();

  return {
    orderId: order.id,
    status: order.status,
    failureReason: order.failureReason,
    path,
    pathText: path.join(ARROW),
    summary: parts.length ? parts.join(ARROW) : 'created, nothing has run yet',
    events: explained,
    next: nextOf(order, events, settings),
  };
}

/** A line's event in a multi-line order's explanation: one sentence, and a part of the summary when it matters. */
function explainLine(e: TimelineEvent, line: Order | undefined, since: (at: number) => number): { text: string; part?: string } {
  const d = e.data;
  const n = num(d.line);
  const what = line ? `Line ${n} (${line.sku} × ${line.qty})` : `Line ${n}`;
  switch (e.type) {
    case 'OrderCreated':
      return { text: `${what} is stored pending with the order.` };
    case 'InventoryReserved':
      return d.source === 'stock'
        ? {
            text: `${what} is taken from stock (on-hand now ${num(d.onHandAfter)}), in one transaction with the order's other lines: their SKUs are locked in one global order, by SKU, so no two orders wait for each other in a cycle.`,
            part: `line ${n} from stock`,
          }
        : { text: `${what}: the supplier's delivery is booked in and reserved.`, part: `line ${n} delivered` };
    case 'LineShort':
      return { text: `${what}: only ${num(d.onHand)} on hand; the line asks the supplier with a job of its own.`, part: `line ${n} short` };
    case 'SupplierReservationRequested':
      return { text: `${what} asks the supplier (Idempotency-Key ${str(d.key)}).` };
    case 'SupplierReservationAccepted':
      return { text: `${what}: the supplier accepted (ref ${str(d.ref)}).`, part: `line ${n} accepted by the supplier` };
    case 'SupplierReservationRejected':
      return { text: `${what}: the supplier refused.`, part: `line ${n} rejected` };
    case 'SupplierStatusChecked':
      return { text: `${what}: check ${num(d.check)} answered ${str(d.status)}.` };
    case 'OrderReserved':
      return { text: `${what} is reserved.` };
    case 'OrderFailed':
      return { text: `${what} failed: ${str(d.reason)}.`, part: `line ${n} failed` };
    case 'LineCompensated':
      return { text: `${what} is undone (it was ${str(d.from)}): another line failed, and the order holds nothing or everything.`, part: `line ${n} undone` };
    case 'ReservationReleased':
      return { text: `${what}: its ${num(d.qty)} units go back to stock (a release movement; on-hand ${num(d.onHandAfter)}).` };
    case 'CancelRequested':
      return { text: `${what} is cancelling: the supplier is asked to cancel its reservation (CancelSupplierReservation).` };
    case 'SupplierReservationCancelled':
      return { text: `${what}: the supplier ${d.tooLate === true ? 'had delivered (too late to cancel)' : 'cancelled its reservation'}.` };
    case 'SupplierDeliveryRestocked':
      return { text: `${what}: the supplier's delivery is booked to stock as a restock.` };
    case 'OrderCancelled':
      return { text: `${what} is cancelled.` };
    case 'OrderExpired':
      return { text: `${what} is expired, its units released.` };
    case 'OrderFulfilled':
      return { text: `${what} is fulfilled.` };
    case 'SupplierCallFailed':
      return { text: `${what}: a supplier call failed (${errorWord(d)}); it runs again at ${offset(since(num(d.retryAt)))}.` };
    default:
      return { text: `${what}: ${e.type}.` };
  }
}

/** What comes next: nothing for a final order; for a reserved one, its expiry if it has one (a person may fulfil or cancel it first). */
function nextOf(order: Order, events: readonly TimelineEvent[], settings: ExplainSettings): string | null {
  if (order.status === 'reserved') {
    const expiresAt = [...events].reverse().find((e) => e.type === 'OrderReserved')?.data.expiresAt;
    return typeof expiresAt === 'number'
      ? `the reservation expires at ${offset(expiresAt - order.createdAt)} unless the order is fulfilled or cancelled first`
      : null;
  }
  if (order.status === 'cancelling') {
    const last = events.at(-1);
    if (last?.type === 'SupplierReservationCancelFailed') return `the supplier's cancel runs again at ${offset(num(last.data.retryAt) - order.createdAt)}`;
    if (last?.type === 'JobDeadLettered') return 'the compensation is dead-lettered: warehouse jobs retry puts it back on the queue';
    return 'the supplier is asked to cancel its reservation (CancelSupplierReservation)';
  }
  return isSettled(order.status) ? null : nextStep(order, events, settings);
}

/** What the order waits for, from the last thing that happened to it. */
function nextStep(order: Order, events: readonly TimelineEvent[], settings: ExplainSettings): string {
  const last = events.at(-1);
  const since = (at: number) => offset(at - order.createdAt);
  if (!last || last.type === 'OrderCreated')
    return 'ReserveInventory is queued (stored with the order: the outbox); a job runner takes it as soon as one runs (warehouse work, serve)';
  if (last.type === 'JobParked') return `its job is parked (${str(last.data.reason)}): warehouse jobs resume puts it back on the queue`;
  if (last.type === 'SupplierCallFailed' || last.type === 'JobDeferred') {
    return `the ${last.data.jobType === 'CheckSupplierStatus' ? 'status check' : 'reserve call'} runs again at ${since(num(last.data.retryAt))}`;
  }
  if (order.status === 'pending') return "waiting for the supplier's answer to the reserve call";
  const delayed = events.filter((e) => e.type === 'SupplierStatusChecked' && e.data.status === 'delayed').length;
  const checkAt = [...events].reverse().find((e) => e.data.nextCheckAt !== undefined)?.data.nextCheckAt;
  const left = settings.maxDelayedRetries - delayed;
  const budget =
    left > 0 ? `${plural(left, 'delayed retry', 'delayed retries')} left` : 'the delayed budget is used up: another delayed answer fails the order';
  return `check ${order.supplierChecks + 1} of the supplier's status${checkAt !== undefined ? ` at ${since(num(checkAt))}` : ''} (${budget})`;
}
