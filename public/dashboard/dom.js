// Small DOM and formatting helpers. Everything shown is set as text, never as HTML.

/** h('tr', {class: 'x', dataset: {id: 1}, onclick}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** replace an element's children */
export const fill = (el, ...children) => el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));

export const $ = (sel, root = document) => root.querySelector(sel);

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** 09:00:15 (UTC), or 09:00:15.123 with ms */
export function clockText(ms, withMs = false) {
  const d = new Date(ms);
  const t = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return withMs ? `${t}.${pad(d.getUTCMilliseconds(), 3)}` : t;
}

/** +15.000s: time since an order's creation, as in the CLI */
export const since = (ms) => `+${(ms / 1000).toFixed(3)}s`;

/** in 12 s, in 3 min 5 s, due now */
export function countdown(ms) {
  if (ms <= 0) return 'due now';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `in ${s} s`;
  const m = Math.floor(s / 60);
  return `in ${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
}

const STATE_WORDS = { pending: 'pending', awaiting_restock: 'awaiting restock', reserved: 'reserved', failed: 'failed' };

/** a state as a badge: the state's name is always written, colour only adds to it */
export const stateBadge = (status) => h('span', { class: `state state-${status}`, dataset: { status } }, STATE_WORDS[status] ?? status);

/** an event's data as k=v pairs; times in it (…At) as + offsets since the order's creation */
export function dataText(data, createdAt) {
  return Object.entries(data ?? {})
    .map(([k, v]) => {
      if (k.endsWith('At') && typeof v === 'string' && createdAt !== undefined) {
        const at = since(Date.parse(v) - createdAt);
        return k === 'nextCheckAt' ? `next check at ${at}` : k === 'retryAt' ? `retry at ${at}` : `${k}=${at}`;
      }
      return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
    })
    .join(' ');
}

/** Calls fn at most once per `ms`, at the end of a burst (and once more if called meanwhile). */
export function debounce(fn, ms) {
  // biome-ignore lint/correctness/noUnusedVariables: read and written through ??=
  let timer = null;
  let again = false;
  let running = false;
  const run = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await fn();
    } catch (error) {
      console.warn('refresh failed', error); // the next event or reconnect refreshes again
    } finally {
      running = false;
      if (again) {
        again = false;
        timer ??= setTimeout(run, ms);
      }
    }
  };
  return () => {
    timer ??= setTimeout(run, ms);
  };
}
