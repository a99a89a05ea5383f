/**
 * The in-process mock supplier: MSW (`msw/node`) intercepts the HTTP client's real `fetch` calls
 * and answers from a per-SKU script. Each mock gets its own host, so several engines (tests,
 * scenarios) can share one process; requests to any other host pass through untouched.
 */
import { http, HttpResponse, passthrough, type RequestHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import type { Clock } from '../../ports/clock.js';
import { answerAt, reserveAnswers, statusAnswers, type SupplierScript } from './script.js';

export interface SupplierCall {
  kind: 'reserve' | 'status';
  sku: string;
  /** Idempotency-Key of a reserve call */
  key?: string;
  ref?: string;
  answer: string;
  at: number;
}

export interface MockSupplier {
  readonly baseUrl: string;
  /**
   * With transport `direct`: a fetch that hands each request straight to the mock's resolver (the
   * one MSW's handler calls) instead of intercepting the global fetch. Same client code, same
   * answers as real `Request`/`Response` objects; no interceptor and no MSW matching, which cost
   * CPU and memory per request (used by the simulator).
   */
  readonly fetch?: typeof fetch;
  /** every call received, in order */
  readonly calls: readonly SupplierCall[];
  /** replace the script for a SKU (or `*`) */
  script(sku: string, script: SupplierScript[string]): void;
  close(): void;
}

/** How long a `timeout` answer hangs: far beyond any client timeout. */
const HANG_MS = 60 * 60 * 1000;

interface MockState {
  /** answers through the msw/node interceptor (false: `direct`) */
  intercept: boolean;
  clock: Clock;
  script: SupplierScript;
  calls: SupplierCall[];
  reserveCalls: Map<string, number>;
  statusCalls: Map<string, number>;
}

const mocks = new Map<string, MockState>();
let server: SetupServer | undefined;
let nextId = 1;

/** Refs carry the order's key and SKU, so a later process can check a ref this one was given. */
const refFor = (key: string, sku: string) => `R.${key}.${sku}`;
const skuOfRef = (ref: string) => /^R\.order-\d+\.(.+)$/.exec(ref)?.[1];

async function hang(state: MockState, request: Request): Promise<Response> {
  await state.clock.sleep(HANG_MS, request.signal);
  return HttpResponse.json({ error: 'gateway timeout' }, { status: 504 });
}

let handlers: RequestHandler[] | undefined;

/** The position of this call in its conversation (0 for the first), counting it. */
function turn(calls: Map<string, number>, id: string): number {
  const n = calls.get(id) ?? 0;
  calls.set(id, n + 1);
  return n;
}

/**
 * The mock's answer to one request: route by host (one host per mock) and path, then answer from
 * the SKU's script. MSW's catch-all handler calls it; so does the `direct` transport.
 */
async function answer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const state = mocks.get(url.host);
  // a mock host nobody registered (a closed mock) is a bug: fail like a dead network
  if (!state) return url.hostname.endsWith('.supplier.mock') ? HttpResponse.error() : passthrough();
  const statusPath = /^\/supplier\/status\/([^/]+)$/.exec(url.pathname);
  const kind = request.method === 'POST' && url.pathname === '/supplier/reserve' ? 'reserve' : request.method === 'GET' && statusPath ? 'status' : null;
  if (kind === null) return HttpResponse.json({ error: `no such supplier route: ${request.method} ${url.pathname}` }, { status: 404 });
  const at = state.clock.now();
  if (kind === 'reserve') {
    const key = request.headers.get('idempotency-key') ?? '';
    const body = (await request.json().catch(() => null)) as { sku?: unknown } | null;
    const sku = typeof body?.sku === 'string' ? body.sku : '';
    const scripted = answerAt(reserveAnswers(state.script, sku), turn(state.reserveCalls, key));
    state.calls.push({ kind, sku, key, answer: scripted, at });
    switch (scripted) {
      case 'accepted':
        return HttpResponse.json({ accepted: true, ref: refFor(key, sku) });
      case 'rejected':
        return HttpResponse.json({ accepted: false, ref: '' });
      case 'error':
        return HttpResponse.json({ error: 'supplier error' }, { status: 500 });
      case 'malformed':
        return HttpResponse.text('<html>502 upstream garbage</html>', { status: 200 });
      case 'timeout':
        return hang(state, request);
    }
  }
  const ref = decodeURIComponent(statusPath![1]!);
  const sku = skuOfRef(ref) ?? '';
  const scripted = answerAt(statusAnswers(state.script, sku), turn(state.statusCalls, ref));
  state.calls.push({ kind, sku, ref, answer: scripted, at });
  switch (scripted) {
    case 'ok':
    case 'fail':
    case 'delayed':
      return HttpResponse.json({ status: scripted });
    case 'error':
      return HttpResponse.json({ error: 'supplier error' }, { status: 503 });
    case 'malformed':
      return HttpResponse.json({ status: 'maybe' });
    case 'timeout':
      return hang(state, request);
  }
}

function mockHandlers(): RequestHandler[] {
  // one catch-all handler that routes by host and path itself: cheaper than MSW matching a path
  // pattern per handler on every request, and it lets every other host pass through
  handlers ??= [http.all('*', ({ request }) => answer(request))];
  return handlers;
}

function ensureServer(): SetupServer {
  if (server) return server;
  const created = setupServer(...mockHandlers());
  created.listen({
    onUnhandledRequest(request, print) {
      // a request to a mock host that nobody scripted is a bug; anything else is not ours
      if (new URL(request.url).hostname.endsWith('.supplier.mock')) print.error();
    },
  });
  server = created;
  return created;
}

/** Answers `request` straight from the mock (no interception, no MSW matching); honours its abort signal. */
async function directFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const signal = request.signal;
  signal.throwIfAborted();
  const pending = answer(request);
  const response = await new Promise<Response | undefined>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
  if (!response || response.type === 'error') throw new TypeError('fetch failed: the mock supplier gave no answer');
  return response;
}

export function startMockSupplier(opts: { clock: Clock; script?: SupplierScript; transport?: 'intercept' | 'direct' }): MockSupplier {
  const direct = opts.transport === 'direct';
  if (!direct) ensureServer();
  const host = `m${nextId++}.supplier.mock`;
  const state: MockState = { intercept: !direct, clock: opts.clock, script: { ...opts.script }, calls: [], reserveCalls: new Map(), statusCalls: new Map() };
  mocks.set(host, state);
  return {
    baseUrl: `http://${host}`,
    ...(direct ? { fetch: directFetch } : {}),
    calls: state.calls,
    script(sku, s) {
      state.script[sku] = s;
    },
    close() {
      mocks.delete(host);
      if (server && ![...mocks.values()].some((m) => m.intercept)) {
        server.close();
        server = undefined;
      }
    },
  };
}
