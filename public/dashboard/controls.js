// The controls: create an order, count or restock stock, script the supplier, move a paced
// virtual clock, and the token for a server whose writes need one. All through the HTTP API.
import { api, refusal, token } from './api.js';
import { $ } from './dom.js';

/** What a teacher most often wants the supplier to do, as scripts (docs/design.md §5.3). */
export const PRESETS = {
  ok: { label: 'ok at the first check', reserve: 'accepted', status: 'ok' },
  delayedOk: { label: 'delayed twice, then ok', reserve: 'accepted', status: 'delayed, delayed, ok' },
  delayedOut: { label: 'delayed out (3 × delayed)', reserve: 'accepted', status: 'delayed' },
  fail: { label: 'fail at the first check', reserve: 'accepted', status: 'fail' },
  rejected: { label: 'rejects the reservation', reserve: 'rejected', status: 'ok' },
  transient: { label: 'transient errors, then ok', reserve: 'error, timeout, accepted', status: 'malformed, ok' },
  down: { label: 'down: every call fails (dead letter)', reserve: 'error', status: 'error' },
};

const list = (text) =>
  text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

/**
 * The order form's body: a SKU and the qty field (one line), or, when the SKU field holds
 * `SKU:QTY` pairs (`A:2, B:1`), a multi-line order (docs/design.md §2.6) and the qty field is not
 * read. The server checks every line and names the one that is wrong (422).
 */
export function orderBody(skuField, qtyField) {
  if (!skuField.includes(':')) return { sku: skuField, qty: qtyField === '' ? null : Number(qtyField) };
  const lines = skuField
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((pair) => {
      const [sku, qty = ''] = pair.split(':');
      return { sku, qty: qty === '' || Number.isNaN(Number(qty)) ? qty || null : Number(qty) };
    });
  return { lines };
}

export function setupControls({ say, onOrderCreated, onClock }) {
  /** run a write; explain a refusal (401 and 403 ask for a token, 403 naming the scope it needs) */
  async function write(what, fn) {
    try {
      return await fn();
    } catch (error) {
      const r = refusal(what, error);
      say(r.text, 'error');
      if (r.ask) askToken(r.scope);
      return null;
    }
  }

  $('#order-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.currentTarget;
    const o = await write('create order', () => api('POST', '/api/orders', orderBody(f.sku.value, f.qty.value)));
    if (o) {
      const what = o.lines ? `${o.lines.map((l) => `${l.sku} × ${l.qty}`).join(' + ')} (${o.lines.length} lines)` : `${o.sku} × ${o.qty}`;
      say(`order #${o.id} created: ${what}, ${o.status}`);
      onOrderCreated(o.id);
    }
  });

  $('#stock-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.currentTarget;
    const restock = e.submitter?.value === 'restock';
    const sku = encodeURIComponent(f.sku.value.trim() || ' ');
    const n = f.qty.value === '' ? null : Number(f.qty.value);
    const item = await write(restock ? 'restock' : 'stock count', () =>
      restock ? api('POST', `/api/inventory/${sku}/restock`, { qty: n }) : api('PUT', `/api/inventory/${sku}`, { onHand: n }),
    );
    if (item) say(`${item.sku}: on hand ${item.onHand} (version ${item.version})`);
  });

  const presets = $('#supplier-preset');
  for (const [key, p] of Object.entries(PRESETS)) presets.append(new Option(p.label, key));
  presets.addEventListener('change', () => {
    const p = PRESETS[presets.value];
    if (!p) return;
    $('#supplier-form').reserve.value = p.reserve;
    $('#supplier-form').status.value = p.status;
  });
  $('#supplier-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = e.currentTarget;
    const sku = f.sku.value.trim() === '*' ? '*' : f.sku.value;
    const body = { reserve: list(f.reserve.value), status: list(f.status.value) };
    const s = await write('supplier script', () => api('PUT', `/api/supplier/scripts/${encodeURIComponent(sku.trim() || ' ')}`, body));
    if (s)
      say(`supplier script for ${s.sku}: reserve ${s.reserve.join(', ')}; status ${s.status.join(', ')} (new orders of ${s.sku === '*' ? 'any SKU' : s.sku})`);
  });

  for (const b of document.querySelectorAll('[data-clock-action]')) {
    b.addEventListener('click', async () => {
      const action = b.dataset.clockAction;
      const body =
        action === 'play' ? { action, rate: Number(b.dataset.rate) } : action === 'advance' ? { action, seconds: Number(b.dataset.seconds) } : { action };
      for (const other of document.querySelectorAll('[data-clock-action]')) other.disabled = true;
      const s = await write('clock', () => api('POST', '/api/clock', body));
      for (const other of document.querySelectorAll('[data-clock-action]')) other.disabled = false;
      if (s) onClock(s);
    });
  }

  const dialog = $('#token-dialog');
  function askToken(scope = null) {
    $('#token-scope').textContent = scope ? `This needs a token with the scope ${scope}.` : '';
    if (!dialog.open) dialog.showModal();
    $('#token-input').focus();
  }
  $('#token-button').addEventListener('click', () => askToken());
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'save') return;
    token.set($('#token-input').value.trim());
    $('#token-input').value = '';
    say(token.get() ? 'token saved for this tab: writes now carry it' : 'token cleared');
    showToken();
  });
  const showToken = () => {
    $('#token-button').textContent = token.get() ? 'token ✓' : 'token';
  };
  showToken();
  return { askToken };
}
