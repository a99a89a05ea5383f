/**
 * The in-process mock supplier: MSW (`msw/node`) intercepts the HTTP client's real `fetch` calls
 * and answers them from the mock's state (answers.ts), which lives in the engine's database
 * (`mock_*` tables in the SQLite file or the PostgreSQL schema; in memory for ':memory:'), so
 * every process on one database continues the same conversations. Each mock gets its own host, so
 * several engines (tests, scenarios) can share one process; requests to any other host pass
 * through untouched. The state's trouble is the engine database's, not the supplier's: the
 * engine's client is wrapped (`ownFaults`) so that a call the state failed comes out as that
 * database error (state-faults.ts).
 */
import type { SetupServer } from 'msw/node';
import type { Clock } from '../../ports/clock.js';
import type { Supplier } from '../../ports/supplier.js';
import { createStateFaults, type StateFaults, type StateHealth } from './state-faults.js';
import { createMockAnswers, type AnsweredCall, type MockAnswers, type MockReply } from './answers.js';
import type { SkuScript, SupplierScript } from '../../domain/supplier-script.js';
import type { ConversationView, MockState } from '../../ports/mock-state.js';
import { createMemoryMockState } from './memory-state.js';

export type SupplierCall = AnsweredCall;

export interface MockSupplier {
  readonly baseUrl: string;
  /**
   * With transport `direct`: a fetch that hands each request straight to the mock's resolver (the
   * one MSW's handler calls) instead of intercepting the global fetch. Same client code, same
   * answers as real `Request`/`Response` objects; no interceptor and no MSW matching, which cost
   * CPU and memory per request (used by the simulator).
   */
  readonly fetch?: typeof fetch;
  /** every call this process's mock received, in order (the state has every process's) */
  readonly calls: readonly SupplierCall[];
  readonly state: MockState;
  /** replace the stored script of a SKU (or `*`); null deletes it */
  setScript(sku: string, script: SkuScript | null): Promise<void>;
  /**
   * Creates an order with a script of its own: the script is announced, `create` makes the order
   * and returns its Idempotency-Key, then the script is bound to that key. A worker that meets the
   * order in between waits for the binding (see MockState). `inTime` is false when the order's
   * conversation had started before the binding (the creator was held up for seconds).
   */
  scriptOrder<T>(sku: string, script: SkuScript, create: () => Promise<{ key: string; value: T }>): Promise<{ value: T; inTime: boolean }>;
  conversations(filter?: { key?: string }): Promise<ConversationView[]>;
  /**
   * `client` (the engine's supplier client pointed at this mock), whose failed calls come out as
   * the state's own error when the state caused them (the engine's database: deferred, never the
   * supplier's failure), and as they are otherwise.
   */
  ownFaults(client: Supplier): Supplier;
  /** the state's last database fault, until a state call succeeds again (for /healthz) */
  health(): StateHealth;
  close(): Promise<void>;
}

/** How long a `timeout` answer hangs: far beyond any client timeout. */
const HANG_MS = 60 * 60 * 1000;

interface Mock {
  /** answers through the msw/node interceptor (false: `direct`) */
  intercept: boolean;
  clock: Clock;
  answers: MockAnswers;
  calls: SupplierCall[];
}

const mocks = new Map<string, Mock>();
/** msw/node's interceptor, started (msw loaded) by the first `intercept` mock only */
let server: SetupServer | undefined;
let starting: Promise<void> | undefined;
let nextId = 1;

/**
 * The direct transport's answer: what a fetch `Response` shows the client (status, statusText,
 * `ok`, headers, type, `text()`, `json()`), with its body held as the text it is. The rest of a
 * `Response` (its body stream, `clone()`, `arrayBuffer()`, …) comes from a real one built the
 * first time any of it is asked for. A `Response` per call (its Headers, its body) was a twentieth
 * of a simulation's CPU, and the first one loads undici (~30 ms of a CLI run's start-up).
 * Intercepted requests get a plain `Response`: MSW hands it on as a body.
 */
class DirectResponse implements Pick<Response, 'status' | 'statusText' | 'ok' | 'type' | 'url' | 'redirected' | 'text' | 'json'> {
  readonly type = 'default' as const;
  readonly url = '';
  readonly redirected = false;
  readonly statusText = '';
  readonly ok: boolean;
  #headers: Headers | undefined;
  #real: Response | undefined;
  constructor(
    private readonly bodyText: string,
    readonly status: number,
    private readonly contentType: string,
  ) {
    this.ok = status >= 200 && status <= 299;
  }
  get headers(): Headers {
    this.#headers ??= new Headers({ 'content-type': this.contentType });
    return this.#headers;
  }
  text(): Promise<string> {
    return Promise.resolve(this.bodyText);
  }
  json(): Promise<unknown> {
    return this.text().then((t) => JSON.parse(t) as unknown);
  }
  /** the real Response, for everything else */
  private real(): Response {
    this.#real ??= new Response(this.bodyText, { status: this.status, headers: { 'content-type': this.contentType } });
    return this.#real;
  }
  get body() {
    return this.real().body;
  }
  get bodyUsed() {
    return this.real().bodyUsed;
  }
  arrayBuffer() {
    return this.real().arrayBuffer();
  }
  blob() {
    return this.real().blob();
  }
  formData() {
    return this.real().formData();
  }
  clone(): Response {
    return this.real().clone();
  }
}

async function toResponse(mock: Mock, reply: MockReply, request: MockRequest): Promise<Response> {
  if (reply.kind === 'hang') {
    await mock.clock.sleep(HANG_MS, request.signal);
    return Response.json({ error: 'gateway timeout' }, { status: 504 });
  }
  // the client reads what a Response shows it (see DirectResponse)
  if (request.direct) return new DirectResponse(reply.body, reply.status, reply.contentType) as unknown as Response;
  return new Response(reply.body, { status: reply.status, headers: { 'content-type': reply.contentType } });
}

/**
 * What the mock reads of a request. MSW hands it a fetch `Request`; the `direct` transport reads
 * the same from fetch's own arguments, without building a `Request` (its headers, its body stream
 * and a signal of its own were a tenth of a simulation's CPU: docs/performance.md).
 */
interface MockRequest {
  url: string;
  method: string;
  header(name: string): string | undefined;
  json(): Promise<unknown>;
  signal: AbortSignal | undefined;
  /** from the direct transport (not through MSW) */
  direct: boolean;
}

const fromRequest = (request: Request): MockRequest => ({
  url: request.url,
  method: request.method,
  header: (name) => request.headers.get(name) ?? undefined,
  json: () => request.json(),
  signal: request.signal,
  direct: false,
});

/** fetch's arguments as a MockRequest when they are the plain kind (a URL string, headers as an object, a text body), else null */
function fromArguments(input: string | URL | Request, init: RequestInit | undefined): MockRequest | null {
  const headers = init?.headers ?? {};
  const body = init?.body;
  // a Headers object is recognised by its methods: naming the global would load undici (tens of ms of a CLI run)
  const isHeaders = typeof (headers as { forEach?: unknown }).forEach === 'function' && typeof (headers as { get?: unknown }).get === 'function';
  if (typeof input !== 'string' || isHeaders || Array.isArray(headers) || (body !== undefined && body !== null && typeof body !== 'string')) {
    return null;
  }
  const plain = headers as Record<string, string>;
  return {
    url: input,
    method: (init?.method ?? 'GET').toUpperCase(),
    header(name) {
      const wanted = name.toLowerCase();
      for (const key in plain) if (key.toLowerCase() === wanted) return plain[key];
      return undefined;
    },
    // as Request.json(): rejects on an empty or malformed body
    json: async () => JSON.parse(body ?? '') as unknown,
    signal: init?.signal ?? undefined,
    direct: true,
  };
}

/**
 * The mock's answer to one request: route by host (one host per mock) and path, then answer from
 * the state. MSW's catch-all handler calls it; so does the `direct` transport.
 */
async function answer(request: MockRequest, elsewhere: () => Response): Promise<Response> {
  const url = new URL(request.url);
  const mock = mocks.get(url.host);
  // a mock host nobody registered (a closed mock) is a bug: fail like a dead network
  if (!mock) return url.hostname.endsWith('.supplier.mock') ? Response.error() : elsewhere();
  if (request.method === 'POST' && url.pathname === '/supplier/reserve') {
    const body: unknown = await request.json().catch(() => undefined);
    const { reply, call } = await mock.answers.reserve({ key: request.header('idempotency-key'), body, signal: request.signal });
    mock.calls.push(call);
    return toResponse(mock, reply, request);
  }
  if (request.method === 'POST' && url.pathname === '/supplier/cancel') {
    const body: unknown = await request.json().catch(() => undefined);
    const { reply, call } = await mock.answers.cancel({ key: request.header('idempotency-key'), body });
    mock.calls.push(call);
    return toResponse(mock, reply, request);
  }
  const status = /^\/supplier\/status\/([^/]+)$/.exec(url.pathname);
  if (request.method === 'GET' && status) {
    const { reply, call } = await mock.answers.status({ ref: decodeURIComponent(status[1]!) });
    mock.calls.push(call);
    return toResponse(mock, reply, request);
  }
  return Response.json(
    { type: 'about:blank', title: 'Not Found', status: 404, detail: `no such supplier route: ${request.method} ${url.pathname}` },
    { status: 404 },
  );
}

/** Starts msw/node's interception (loading msw: the heaviest import of a run, so only when asked). */
function ensureServer(): Promise<void> {
  starting ??= (async () => {
    const [{ http, passthrough }, { setupServer }] = await Promise.all([import('msw'), import('msw/node')]);
    // one catch-all handler that routes by host and path itself: cheaper than MSW matching a path
    // pattern per handler on every request, and it lets every other host pass through
    const created = setupServer(http.all('*', ({ request }) => answer(fromRequest(request), passthrough)));
    created.listen({
      onUnhandledRequest(request, print) {
        // a request to a mock host that nobody scripted is a bug; anything else is not ours
        if (new URL(request.url).hostname.endsWith('.supplier.mock')) print.error();
      },
    });
    server = created;
  })();
  return starting;
}

/** Answers `request` straight from the mock (no interception, no MSW matching); honours its abort signal. */
async function directFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = fromArguments(input, init) ?? { ...fromRequest(new Request(input, init)), direct: true };
  const signal = request.signal;
  signal?.throwIfAborted();
  const pending = answer(request, () => Response.error());
  const response = !signal
    ? await pending
    : await new Promise<Response | undefined>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
  if (!response || response.type === 'error') throw new TypeError('fetch failed: the mock supplier gave no answer');
  return response;
}

export interface MockSupplierOptions {
  /** the engine's clock: answer times, and how long a `timeout` answer hangs */
  clock: Clock;
  /** SKU scripts to store at start (each replaces its SKU's stored script) */
  script?: SupplierScript;
  transport?: 'intercept' | 'direct';
  /**
   * where the conversations live (default: in memory, closed with the mock). A given state is the
   * caller's: src/wiring/mock-state.ts opens it (the engine's SQLite file or PostgreSQL schema), and
   * the caller closes it after the mock.
   */
  state?: MockState;
  /** wall time, for order-script announcements between processes */
  wall: Clock;
}

/** The state as the answers see it: each reserve and status call watched under its request's id. */
function watched(state: MockState, faults: StateFaults): MockState {
  return {
    putScripts: (scripts, now) => state.putScripts(scripts, now),
    listScripts: () => state.listScripts(),
    announceOrderScript: (sku, script, wallNow) => state.announceOrderScript(sku, script, wallNow),
    bindOrderScript: (id, key) => state.bindOrderScript(id, key),
    withdrawOrderScript: (id) => state.withdrawOrderScript(id),
    reserve: (req, now, pendingAfter) => faults.watch(req.key, state.reserve(req, now, pendingAfter)),
    status: (ref, now) => faults.watch(ref, state.status(ref, now)),
    cancel: (ref, now) => faults.watch(ref, state.cancel(ref, now)),
    conversations: (filter) => state.conversations(filter),
    close: () => state.close(),
  };
}

export async function startMockSupplier(opts: MockSupplierOptions): Promise<MockSupplier> {
  const direct = opts.transport === 'direct';
  const owned = !opts.state;
  const state: MockState = opts.state ?? createMemoryMockState();
  const wall = opts.wall;
  try {
    if (opts.script && Object.keys(opts.script).length) await state.putScripts(opts.script, opts.clock.now());
  } catch (error) {
    if (owned) await state.close();
    throw error;
  }
  if (!direct) await ensureServer();
  const host = `m${nextId++}.supplier.mock`;
  const faults = createStateFaults();
  const answers = createMockAnswers({ state: watched(state, faults), clock: opts.clock, wall });
  const mock: Mock = { intercept: !direct, clock: opts.clock, answers, calls: [] };
  mocks.set(host, mock);
  return {
    baseUrl: `http://${host}`,
    ...(direct ? { fetch: directFetch } : {}),
    calls: mock.calls,
    state,
    setScript: (sku, script) => state.putScripts({ [sku]: script }, opts.clock.now()),
    async scriptOrder<T>(sku: string, script: SkuScript, create: () => Promise<{ key: string; value: T }>) {
      const id = await state.announceOrderScript(sku, script, wall.now());
      let created: { key: string; value: T };
      try {
        created = await create();
      } catch (error) {
        await state.withdrawOrderScript(id).catch(() => undefined);
        throw error;
      }
      return { value: created.value, inTime: await state.bindOrderScript(id, created.key) };
    },
    conversations: (filter) => state.conversations(filter),
    ownFaults: (client) => ({
      reserve: (req) => client.reserve(req).catch((error: unknown) => Promise.reject(faults.behind(req.idempotencyKey) ?? error)),
      status: (ref) => client.status(ref).catch((error: unknown) => Promise.reject(faults.behind(ref) ?? error)),
      cancel: (req) => client.cancel(req).catch((error: unknown) => Promise.reject(faults.behind(req.ref) ?? error)),
    }),
    health: () => faults.health(),
    async close() {
      mocks.delete(host);
      if (server && ![...mocks.values()].some((m) => m.intercept)) {
        server.close();
        server = undefined;
        starting = undefined;
      }
      if (owned) await state.close();
    },
  };
}
