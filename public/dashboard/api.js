// The HTTP API, as the page calls it. Writes carry the bearer token when one was given: the
// page asks for it once (kept in this tab's sessionStorage) when the server says writes need one.

const KEY = 'warehouse.token';

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => (t ? sessionStorage.setItem(KEY, t) : sessionStorage.removeItem(KEY)),
};

/** A failed call, with the problem+json the server sent. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const t = token.get();
  // reads too: beyond loopback they need the read scope (unless the server has --public-reads)
  if (t) headers.authorization = `Bearer ${t}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, { detail: `the server did not answer (${error.message}); is it still running?` });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path) => api('GET', path);

/**
 * What to tell the user when the server refused a request, and whether to ask for a token:
 * 401 (no token, or an unknown or revoked one) and 403 (the token lacks a scope, named in the
 * problem's `missingScope`) ask for one.
 */
export function refusal(what, error) {
  if (error instanceof ApiError && error.status === 403) {
    const scope = error.problem?.missingScope ?? 'another scope';
    return {
      ask: true,
      scope,
      text: `${what} refused: the token in this tab lacks the scope ${scope}. Enter a token that has it (make one with \`warehouse token create --name NAME --scope ${scope}\`).`,
    };
  }
  if (error instanceof ApiError && error.status === 401)
    return {
      ask: true,
      scope: null,
      text: `${what} refused: ${error.message}. Enter the server's token (WAREHOUSE_API_TOKEN, or one from \`warehouse token create\`).`,
    };
  return { ask: false, scope: null, text: `${what} refused: ${error.message}` };
}

/** the most a list endpoint gives per page (MAX_PAGE in src/http/schemas.ts) */
export const PAGE = 1000;

/**
 * Walks a paged list (`{<items>, nextCursor}`, oldest first; docs/http.md) page by page, handing
 * each page's items to `each`, until the last page or until `each` returns true (found enough).
 */
async function walk(path, items, query, each, pageSize) {
  let cursor = null;
  do {
    const q = new URLSearchParams({ ...query, limit: String(pageSize) });
    if (cursor !== null) q.set('cursor', String(cursor));
    const page = await get(`${path}?${q}`);
    if (!Array.isArray(page?.[items])) throw new Error(`GET ${path} answered without a list of ${items}`);
    if (each(page[items])) return;
    cursor = page.nextCursor;
  } while (cursor !== null);
}

/** the newest orders, newest first, up to `max` (GET /api/orders?order=newest: right at any size) */
export async function allOrders(status, max = 5000, pageSize = PAGE) {
  const out = [];
  await walk('/api/orders', 'orders', { order: 'newest', ...(status ? { status } : {}) }, (orders) => out.push(...orders) >= max, pageSize);
  return out.slice(0, max);
}

/** the newest `n` movements of a SKU's ledger, oldest first (the ledger is paged oldest first: read to its end) */
export async function ledgerTail(sku, n = 50, pageSize = PAGE) {
  let tail = [];
  await walk(
    `/api/inventory/${encodeURIComponent(sku)}/movements`,
    'movements',
    {},
    (movements) => {
      tail = [...tail, ...movements].slice(-n);
      return false;
    },
    pageSize,
  );
  return tail;
}

/** the movements of one order in its SKU's ledger: `expected` of them (1 from stock, 2 for a supplier's delivery) */
export async function orderMovements(sku, orderId, expected, pageSize = PAGE) {
  const out = [];
  await walk(
    `/api/inventory/${encodeURIComponent(sku)}/movements`,
    'movements',
    {},
    (movements) => {
      out.push(...movements.filter((m) => m.orderId === orderId));
      return out.length >= expected;
    },
    pageSize,
  );
  return out;
}
