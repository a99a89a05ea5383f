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
  if (t && method !== 'GET') headers.authorization = `Bearer ${t}`;
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

/** every order (oldest first, as the API pages them), up to `max` */
export async function allOrders(status, max = 5000) {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ limit: '1000' });
    if (status) q.set('status', status);
    if (cursor !== null) q.set('cursor', String(cursor));
    const page = await get(`/api/orders?${q}`);
    out.push(...page.orders);
    cursor = page.nextCursor;
  } while (cursor !== null && out.length < max);
  return out;
}
