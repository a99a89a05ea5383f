// The live dashboard: loads the state from the HTTP API, then follows GET /api/events (server-sent
// events, resumed by the browser with Last-Event-ID; a `reset` event reloads everything) and
// refreshes the panels an event concerns, a few times a second at most.
import { allOrders, api, get, ledgerTail, orderMovements, refusal, token } from './api.js';
import { setupControls } from './controls.js';
import { createDiagram } from './diagram.js';
import { $, clockText, debounce, fill, h } from './dom.js';
import { setupStory } from './story.js';
import { renderDetail, renderOrders, renderQueue, renderStock, statusOptions, tickCountdowns } from './views.js';

const state = {
  overview: null,
  orders: [],
  filter: { status: '', sku: '' },
  selected: null,
  /** show the newest order until someone picks one (a class watching the demo follows along) */
  follow: true,
  detail: null,
  jobs: { jobs: [], counts: { queued: 0, running: 0, parked: 0, dead: 0 }, truncated: false, lastMinute: { complete: 0, retry: 0, dead: 0 } },
  dead: [],
  stock: [],
  stockSku: null,
  ledger: null,
  clock: null,
  clockSeenAt: 0,
  queueDrawnAt: 0,
};

const diagram = createDiagram($('#diagram'));

function say(text, kind = 'info') {
  const m = $('#message');
  m.textContent = text;
  m.dataset.kind = kind;
}

/** the engine's now, estimated between clock updates */
function now() {
  const c = state.clock;
  if (!c) return Date.now();
  const at = Date.parse(c.now);
  const wall = performance.now() - state.clockSeenAt;
  if (c.mode === 'real') return at + wall;
  if (!c.playing) return at;
  const t = at + wall * c.rate;
  return c.next ? Math.min(t, Date.parse(c.next)) : t;
}

function setClock(c) {
  state.clock = c;
  state.clockSeenAt = performance.now();
  const controls = $('#clock-controls');
  controls.hidden = !c.paced;
  for (const b of controls.querySelectorAll('button')) {
    // while the demo drives the clock, Step moves its story on; the other controls wait for its end
    b.disabled = Boolean(c.lockedBy) && b.dataset.clockAction !== 'step';
    b.setAttribute(
      'aria-pressed',
      String(b.dataset.clockAction === 'play' ? c.playing && Number(b.dataset.rate) === c.rate : b.dataset.clockAction === 'pause' && !c.playing),
    );
  }
  drawClock();
}

function drawClock() {
  const c = state.clock;
  if (!c) return;
  const t = now();
  $('#clock-now').textContent = `${clockText(t)} UTC`;
  let mode = c.mode === 'real' ? 'real time' : c.paced ? (c.playing ? `virtual · playing ×${c.rate}` : 'virtual · paused') : 'virtual';
  if (c.lockedBy) mode += ` · ${c.lockedBy} drives it (Step: its next moment)`;
  if (c.paced && c.next) mode += ` · next at ${clockText(Date.parse(c.next))} (+${Math.max(0, Math.round((Date.parse(c.next) - t) / 1000))} s)`;
  else if (c.paced) mode += ' · nothing scheduled';
  $('#clock-mode').textContent = mode;
  $('#clock').dataset.clockNow = String(Math.round(t));
}

// ---------------------------------------------------------------- loading

const loadOverview = debounce(async () => {
  const o = await get('/api/overview');
  state.overview = o;
  diagram.setCounts(o.orders);
  fill($('#counts-text'), ...Object.entries(o.orders).map(([s, n]) => h('span', { dataset: { state: s } }, `${s} ${n}`)));
  setClock(o.clock);
  $('#runner').textContent = `runner ${o.runner.state}${o.runner.reason ? `: ${o.runner.reason}` : ''}`;
  $('#runner').dataset.state = o.runner.state;
  $('#auth-note').hidden = !o.auth || Boolean(token.get());
}, 120);

const loadCheck = debounce(async () => {
  const c = await get('/api/check');
  const b = $('#check');
  b.dataset.check = c.ok ? 'ok' : 'broken';
  b.textContent = c.ok ? 'check ✓ invariants hold' : `check ✗ ${c.violations.length} broken: ${c.violations[0].message}`;
  b.title = c.ok ? 'warehouse check: no oversell, ledger = on hand, one live job per open order' : c.violations.map((v) => v.message).join('\n');
}, 600);

const loadOrders = debounce(async () => {
  state.orders = await allOrders(state.filter.status || undefined);
  const newest = state.orders[0]?.id ?? null;
  if (state.follow && newest !== null && newest !== state.selected) {
    state.selected = newest;
    loadDetail();
  }
  drawOrders();
}, 150);

function drawOrders() {
  // how many there are in all: the overview's counts (the list holds the newest few thousand)
  const counts = state.overview?.orders;
  const total = counts ? (state.filter.status ? counts[state.filter.status] : Object.values(counts).reduce((a, b) => a + b, 0)) : undefined;
  renderOrders($('#orders-list'), state.orders, { selected: state.selected, filter: state.filter, onSelect: select, total });
}

const loadDetail = debounce(async () => {
  const id = state.selected;
  if (id === null) return renderDetail($('#detail-body'), { order: null });
  const [order, explanation] = await Promise.all([get(`/api/orders/${id}`), get(`/api/orders/${id}/explain`)]);
  // an order has movements once stock was taken for it (InventoryReserved): a reservation, and
  // before it the supplier's delivery when the stock came from the supplier
  // and after it a release (cancelled, expired); or, for an order cancelled too late, the delivery alone
  const movementsOf = (sku, orderId, events) => {
    const took = events.find((e) => e.type === 'InventoryReserved');
    const has = (type) => events.some((e) => e.type === type);
    const expected = (took ? (took.data.source === 'supplier' ? 2 : 1) : 0) + (has('ReservationReleased') ? 1 : 0) + (has('SupplierDeliveryRestocked') ? 1 : 0);
    return expected > 0 ? orderMovements(sku, orderId, expected) : [];
  };
  // a multi-line order's movements are its lines', each in its own SKU's ledger (docs/design.md §2.6)
  const movements = order.lines
    ? (
        await Promise.all(
          order.lines.map((l) =>
            movementsOf(
              l.sku,
              l.id,
              order.events.filter((e) => e.data.line === l.line),
            ),
          ),
        )
      ).flat()
    : await movementsOf(order.sku, id, order.events);
  if (state.selected !== id) return;
  state.detail = { order, explanation, movements };
  $('#detail-title').textContent = state.follow ? `Order #${id} · the newest` : `Order #${id}`;
  renderDetail($('#detail-body'), { ...state.detail, jobs: state.jobs.jobs, now: now(), onAct: act });
}, 120);

/** cancel or fulfil the order shown (docs/design.md §2.5); the server refuses what its state does not allow (409) */
async function act(action, order, button) {
  button.disabled = true;
  try {
    const changed = await api('POST', `/api/orders/${order.id}/${action}`);
    say(`order #${changed.id} is ${changed.status}`);
  } catch (error) {
    const r = refusal(action, error);
    say(r.text, 'error');
    if (r.ask) controls.askToken(r.scope);
    button.disabled = false;
  }
}

const loadQueue = debounce(async () => {
  const [list, dead] = await Promise.all([get('/api/jobs'), get('/api/jobs/dead-letters')]);
  state.jobs = list;
  state.dead = dead;
  drawQueue();
  if (state.detail) renderDetail($('#detail-body'), { ...state.detail, jobs: state.jobs.jobs, now: now(), onAct: act });
}, 150);

/** the last minute's counts, kept by the server (the same after a reload) */
const rates = () => state.jobs.lastMinute ?? { complete: 0, retry: 0, dead: 0 };

function drawQueue() {
  state.queueDrawnAt = performance.now();
  renderQueue($('#queue-body'), { list: state.jobs, dead: state.dead, now: now(), rates: rates(), onRetry: retry, onSelect: select });
}

const loadStock = debounce(async () => {
  state.stock = await get('/api/inventory');
  state.ledger = state.stockSku ? await ledgerTail(state.stockSku, 50) : null;
  renderStock($('#stock-body'), { items: state.stock, sku: state.stockSku, ledger: state.ledger, onSelect: selectSku });
}, 150);

function select(id) {
  state.follow = false;
  state.selected = id;
  history.replaceState(null, '', `#order-${id}`);
  drawOrders();
  loadDetail();
}

function selectSku(sku) {
  state.stockSku = sku;
  loadStock();
}

async function retry(dead, button) {
  button.disabled = true;
  try {
    const job = await api('POST', `/api/jobs/dead-letters/${dead.id}/retry`);
    say(`dead letter ${dead.id} is queued again as job ${job.id} (${job.type} for order #${job.orderId})`);
  } catch (error) {
    const r = refusal('retry', error);
    say(r.text, 'error');
    if (r.ask) controls.askToken(r.scope);
    button.disabled = false;
  }
}

function loadAll() {
  loadOverview();
  loadCheck();
  loadOrders();
  loadDetail();
  loadQueue();
  loadStock();
}

// ---------------------------------------------------------------- live updates

/** the id of the last event this page saw: a stream opened anew resumes after it */
let lastEventId = '';

/**
 * The stream's URL: with a token in this tab, a one-stream ticket taken with it (an EventSource
 * cannot send the Authorization header; beyond loopback the stream needs the read scope). Without
 * a token, or when the token may not take one, the plain stream (open on loopback).
 */
async function streamUrl() {
  const q = new URLSearchParams();
  if (lastEventId) q.set('lastEventId', lastEventId);
  if (token.get()) {
    try {
      q.set('ticket', (await api('POST', '/api/events/tickets')).ticket);
    } catch {
      // no ticket for this token: the plain stream, which is open wherever reads are
    }
  }
  const query = q.toString();
  return query ? `/api/events?${query}` : '/api/events';
}

async function connect() {
  const conn = $('#conn');
  const url = await streamUrl();
  const es = new EventSource(url);
  const live = () => {
    conn.dataset.connection = 'live';
    conn.textContent = '● live';
  };
  const seen = (m) => {
    if (m.lastEventId) lastEventId = m.lastEventId;
  };
  es.addEventListener('hello', (m) => {
    seen(m);
    live();
  });
  es.addEventListener('open', live);
  es.addEventListener('error', () => {
    conn.dataset.connection = 'reconnecting';
    conn.textContent = '○ reconnecting…';
    // a ticket opens one stream: the browser's own reconnect (same URL) is refused, so a stream
    // opened with a ticket, or one the server refused, is opened anew with a fresh ticket
    if (url.includes('ticket=') || es.readyState === EventSource.CLOSED) {
      es.close();
      setTimeout(() => void connect(), 2000);
    }
  });
  es.addEventListener('reset', (m) => {
    seen(m);
    live();
    loadAll();
  });
  const on = (type, fn) =>
    es.addEventListener(type, (m) => {
      seen(m);
      fn(JSON.parse(m.data));
    });
  on('order:transition', (t) => {
    diagram.flash(t.from, t.to);
    loadOverview();
    loadCheck();
  });
  on('order:event', (e) => {
    if (e.type === 'OrderCreated') loadOverview();
    if (e.type === 'InventoryReserved') loadStock();
    loadOrders();
    if (e.orderId === state.selected) loadDetail();
  });
  for (const type of ['job:enqueued', 'job:start', 'job:complete', 'job:retry', 'job:dead', 'job:parked', 'job:lost', 'job:unsettled']) {
    on(type, () => {
      loadQueue();
      if (type === 'job:dead') loadOverview();
    });
  }
  on('runner:state', () => loadOverview());
  on('stock:changed', () => {
    loadStock();
    loadCheck();
  });
  on('clock', setClock);
}

// ---------------------------------------------------------------- start

fill($('#status-filter'), ...statusOptions());
$('#status-filter').addEventListener('change', (e) => {
  state.filter.status = e.currentTarget.value;
  loadOrders();
});
$('#sku-filter').addEventListener('input', (e) => {
  state.filter.sku = e.currentTarget.value;
  drawOrders();
});

const controls = setupControls({ say, onOrderCreated: select, onClock: setClock });

const fromHash = /^#order-(\d+)$/.exec(location.hash);
if (fromHash) {
  state.selected = Number(fromHash[1]);
  state.follow = false;
}
loadAll();
void connect();
setupStory().catch((error) => console.warn('the story could not be loaded', error));
setInterval(() => {
  drawClock();
  tickCountdowns($('#queue-body'), now());
  tickCountdowns($('#detail-body'), now());
  // a count of the last minute falls as the engine's clock moves on: ask again now and then
  const r = rates();
  if (r.complete + r.retry + r.dead > 0 && performance.now() - state.queueDrawnAt > 5_000) loadQueue();
}, 250);
