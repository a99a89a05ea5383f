// The dashboard's panels, each rendered from data fetched from the API: the orders list, one
// order in detail, the queue, and the stock with its ledger.
import { clockText, countdown, dataText, fill, h, since, stateBadge } from './dom.js';

const STATUSES = ['pending', 'awaiting_restock', 'reserved', 'cancelling', 'failed', 'cancelled', 'expired', 'fulfilled'];
export const MAX_ROWS = 200;

// ---------------------------------------------------------------- orders

/** `orders` newest first; `total`: how many match the status filter in all (the list may hold fewer) */
export function renderOrders(root, orders, { selected, filter, onSelect, total }) {
  const sku = filter.sku.trim().toUpperCase();
  const shown = orders.filter((o) => !sku || o.sku.includes(sku));
  const all = !sku && total !== undefined ? Math.max(total, shown.length) : shown.length;
  const rows = shown.slice(0, MAX_ROWS).map((o) =>
    h(
      'tr',
      {
        class: o.id === selected ? 'selected' : '',
        dataset: { orderId: o.id, status: o.status },
        tabindex: 0,
        onclick: () => onSelect(o.id),
        onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect(o.id)),
      },
      h('td', { class: 'num' }, `#${o.id}`),
      h('td', {}, o.sku),
      h('td', { class: 'num' }, o.qty),
      h('td', {}, stateBadge(o.status), o.failureReason ? h('span', { class: 'sub-reason' }, o.failureReason) : null),
    ),
  );
  const head = h('tr', {}, h('th', {}, 'order'), h('th', {}, 'sku'), h('th', {}, 'qty'), h('th', {}, 'state'));
  fill(
    root,
    rows.length
      ? h('table', { class: 'rows' }, h('thead', {}, head), h('tbody', {}, rows))
      : h('p', { class: 'empty' }, orders.length ? 'no order matches the filter' : 'no orders yet: create one with the controls'),
    all > rows.length
      ? h('p', { class: 'dim' }, `the newest ${rows.length.toLocaleString('en')} of ${all.toLocaleString('en')}${sku ? ' loaded' : ''} shown`)
      : null,
  );
}

export const statusOptions = () => [h('option', { value: '' }, 'all states'), ...STATUSES.map((s) => h('option', { value: s }, s))];

// ---------------------------------------------------------------- one order

/** The supplier conversation, read from the timeline: each call and its answer. */
function conversation(order) {
  const created = Date.parse(order.createdAt);
  const rows = [];
  for (const e of order.events) {
    const at = since(Date.parse(e.at) - created);
    const d = e.data;
    if (e.type === 'SupplierReservationAccepted') rows.push([at, 'reserve', `accepted, ref ${d.ref}`]);
    else if (e.type === 'SupplierReservationRejected') rows.push([at, 'reserve', 'rejected']);
    else if (e.type === 'SupplierStatusChecked') rows.push([at, `status (check ${d.check})`, d.status]);
    else if (e.type === 'SupplierCallFailed') rows.push([at, d.jobType === 'CheckSupplierStatus' ? 'status' : 'reserve', `${d.kind}: ${d.error}`]);
  }
  return rows;
}

const table = (head, rows, attrs = {}) =>
  h(
    'table',
    { class: 'rows', ...attrs },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', {}, c)),
      ),
    ),
    h('tbody', {}, rows),
  );

export function renderDetail(root, { order, explanation, jobs, movements, now, onAct }) {
  if (!order) {
    fill(root, h('p', { class: 'empty' }, 'select an order to see its timeline, jobs, supplier conversation and movements'));
    return;
  }
  const created = Date.parse(order.createdAt);
  const timeline = order.events.map((e) =>
    h(
      'tr',
      { dataset: { type: e.type } },
      h('td', { class: 'when mono' }, clockText(Date.parse(e.at), true), h('span', { class: 'since' }, since(Date.parse(e.at) - created))),
      h('td', { class: `event event-${e.type}` }, e.type, h('span', { class: 'details' }, dataText(e.data, created))),
    ),
  );
  const mine = jobs.filter((j) => j.orderId === order.id);
  const talk = conversation(order);
  fill(
    root,
    h(
      'div',
      { class: 'order-head', dataset: { status: order.status, orderId: order.id } },
      h('strong', {}, `#${order.id} ${order.sku} × ${order.qty}`),
      stateBadge(order.status),
      order.failureReason ? h('span', { class: 'reason' }, order.failureReason) : null,
      // what a person may do with the order in its state (the server decides; these only offer it)
      onAct && ['pending', 'awaiting_restock', 'reserved'].includes(order.status)
        ? h('button', { type: 'button', class: 'act', onclick: (e) => onAct('cancel', order, e.currentTarget) }, 'Cancel')
        : null,
      onAct && order.status === 'reserved'
        ? h('button', { type: 'button', class: 'act', onclick: (e) => onAct('fulfil', order, e.currentTarget) }, 'Fulfil')
        : null,
    ),
    explanation
      ? h(
          'div',
          { class: 'explain' },
          h('p', { class: 'path', 'aria-label': 'state path' }, explanation.pathText),
          h('p', { class: 'summary' }, explanation.summary),
          explanation.next ? h('p', { class: 'next' }, `next: ${explanation.next}`) : null,
          h(
            'details',
            {},
            h('summary', {}, 'why, step by step'),
            h(
              'ol',
              {},
              explanation.events.map((e) => h('li', {}, h('span', { class: 'mono dim' }, `${since(e.since)} `), e.text)),
            ),
          ),
        )
      : null,
    // a multi-line order (docs/design.md §2.6): each line's own state; the order is reserved when every line is
    order.lines ? h('h3', {}, 'Lines') : null,
    order.lines
      ? table(
          ['line', 'SKU × qty', 'state'],
          order.lines.map((l) =>
            h(
              'tr',
              { dataset: { line: l.line, status: l.status } },
              h('td', {}, String(l.line)),
              h('td', {}, `${l.sku} × ${l.qty}`),
              h('td', {}, stateBadge(l.status), l.failureReason ? h('span', { class: 'sub-reason' }, l.failureReason) : null),
            ),
          ),
          { id: 'lines' },
        )
      : null,
    h('h3', {}, 'Timeline'),
    table(['time (UTC) · since created', 'event · details'], timeline, { id: 'timeline' }),
    h('h3', {}, 'Jobs'),
    mine.length
      ? table(
          ['job', 'type', 'state', 'due', 'attempt'],
          mine.map((j) =>
            h(
              'tr',
              {},
              h('td', {}, j.id),
              h('td', {}, j.type),
              h('td', {}, j.state),
              h('td', { class: 'due', dataset: { runAt: j.runAt, state: j.state } }, dueText(j, now)),
              h('td', {}, `${j.attempt}/${j.maxAttempts}`),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'no live job: the order is final, or its job is running'),
    h('h3', {}, 'Supplier conversation'),
    talk.length
      ? table(
          ['since created', 'call', 'answer'],
          talk.map(([at, call, answer]) => h('tr', {}, h('td', { class: 'mono' }, at), h('td', {}, call), h('td', {}, answer))),
        )
      : h('p', { class: 'empty' }, 'the supplier was not asked'),
    h('h3', {}, 'Movements'),
    movements.length
      ? table(
          ['type', 'qty', 'on hand after', 'at (UTC)'],
          movements.map((m) =>
            h(
              'tr',
              { dataset: { movement: m.type } },
              h('td', {}, m.type),
              h('td', { class: 'num' }, m.qty > 0 ? `+${m.qty}` : m.qty),
              h('td', { class: 'num' }, m.onHandAfter),
              h('td', { class: 'mono' }, clockText(Date.parse(m.at), true)),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'no movement: no stock was taken for it'),
  );
}

// ---------------------------------------------------------------- queue

export function dueText(job, now) {
  if (job.state === 'running') return 'running';
  if (job.state === 'parked') return `parked: ${job.parkedReason ?? ''}`;
  return countdown(Date.parse(job.runAt) - now);
}

export function renderQueue(root, { list, dead, now, rates, onRetry, onSelect }) {
  const c = list.counts;
  const jobRows = list.jobs.map((j) =>
    h(
      'tr',
      { dataset: { jobId: j.id, state: j.state } },
      h('td', { title: `job ${j.id}` }, j.type),
      h('td', {}, h('a', { href: '#', onclick: (e) => (e.preventDefault(), onSelect(j.orderId)) }, `#${j.orderId}`)),
      h('td', { class: 'countdown', dataset: { runAt: j.runAt, state: j.state } }, dueText(j, now)),
      h('td', { class: 'num' }, `${j.attempt}/${j.maxAttempts}`),
    ),
  );
  const deadItems = dead.map((d) =>
    h(
      'li',
      { dataset: { deadLetter: d.id } },
      h(
        'span',
        { class: 'what' },
        h('b', {}, `#${d.id} ${d.type}`),
        ' for ',
        h('a', { href: '#', onclick: (e) => (e.preventDefault(), onSelect(d.orderId)) }, `order #${d.orderId}`),
        `, ${d.attempts} attempts`,
        h('span', { class: 'details' }, d.lastError),
      ),
      h('button', { type: 'button', class: 'retry', onclick: (e) => onRetry(d, e.currentTarget) }, 'Retry'),
    ),
  );
  fill(
    root,
    h(
      'p',
      { class: 'counts' },
      h('span', {}, h('b', {}, c.queued), ' queued'),
      h('span', {}, h('b', {}, c.running), ' running'),
      h('span', {}, h('b', {}, c.parked), ' parked'),
      h('span', { class: c.dead ? 'bad' : '' }, h('b', {}, c.dead), ' dead letters'),
    ),
    h('p', { class: 'dim rates' }, `last minute: ${rates.complete} done · ${rates.retry} retried · ${rates.dead} dead-lettered`),
    jobRows.length ? table(['job', 'order', 'due', 'attempt'], jobRows, { id: 'jobs' }) : h('p', { class: 'empty' }, 'nothing queued'),
    list.truncated ? h('p', { class: 'dim' }, `the ${list.jobs.length} due soonest shown`) : null,
    h('h3', {}, 'Dead letters'),
    deadItems.length ? h('ul', { class: 'dead', id: 'dead-letters' }, deadItems) : h('p', { class: 'empty' }, 'none'),
  );
}

/** keeps the countdowns moving between refreshes */
export function tickCountdowns(root, now) {
  for (const cell of root.querySelectorAll('[data-run-at]')) {
    if (cell.dataset.state && cell.dataset.state !== 'queued') continue;
    cell.textContent = countdown(Date.parse(cell.dataset.runAt) - now);
  }
}

// ---------------------------------------------------------------- stock

export function renderStock(root, { items, sku, ledger, onSelect }) {
  const rows = items.map((i) =>
    h(
      'tr',
      {
        class: i.sku === sku ? 'selected' : '',
        dataset: { sku: i.sku },
        tabindex: 0,
        onclick: () => onSelect(i.sku),
        onkeydown: (e) => e.key === 'Enter' && onSelect(i.sku),
      },
      h('td', {}, i.sku),
      h('td', { class: 'num' }, i.onHand),
      h('td', { class: 'num' }, i.reserved ?? 0),
      h('td', { class: 'num' }, i.available ?? i.onHand),
      h('td', { class: 'num' }, i.version),
      h('td', { class: 'mono dim' }, clockText(Date.parse(i.updatedAt))),
    ),
  );
  fill(
    root,
    rows.length
      ? table(['sku', 'on hand', 'reserved', 'available', 'version', 'updated'], rows, { id: 'stock-table' })
      : h('p', { class: 'empty' }, 'no stock recorded yet'),
    sku && ledger
      ? [
          h('h3', {}, `Ledger of ${sku}`),
          table(
            ['type', 'qty', 'order', 'available after'],
            ledger
              .slice(-50)
              .reverse()
              .map((m) =>
                h(
                  'tr',
                  { dataset: { movement: m.type } },
                  h('td', {}, m.type),
                  h('td', { class: 'num' }, m.qty > 0 ? `+${m.qty}` : m.qty),
                  h('td', {}, m.orderId === null ? '' : `#${m.orderId}`),
                  h('td', { class: 'num' }, m.onHandAfter),
                ),
              ),
          ),
        ]
      : null,
  );
}
