/**
 * `warehouse supplier serve`: the mock supplier as an HTTP service of its own (Fastify). It gives
 * the in-process mock's answers (adapters/mock-supplier/answers.ts) from a state in its own SQLite
 * file, so any number of `serve`/`work` processes pointed at it (`--supplier-url`) share one
 * supplier, and it survives its own restarts.
 *
 * Routes:
 * - `POST /supplier/reserve`, `GET /supplier/status/{ref}`, `POST /supplier/cancel`: the contract (contracts/supplier.openapi.json)
 * - `GET /openapi.json`: that contract · `GET /healthz`
 * - `GET /mock/scripts` · `PUT /mock/scripts/{sku}` `{reserve?, status?}` (change the mood live;
 *   `*` for every SKU without one) · `DELETE /mock/scripts/{sku}`
 * - `GET /mock/conversations[?key=order-12]`: every conversation, its script and its calls
 *
 * With a token (WAREHOUSE_SUPPLIER_TOKEN), every route but /openapi.json and /healthz needs
 * `Authorization: Bearer <token>`. The engine's server's rules hold here too (src/serving/bind.ts,
 * auth.ts): a strong token beyond loopback, a Host check (421) on loopback, and a client that sends
 * 10 wrong tokens in a minute is locked out for the rest of it (429). Errors are application/problem+json.
 */
import { STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createMockAnswers, type MockReply } from '../adapters/mock-supplier/answers.js';
import { createRealClock } from '../adapters/clock/real.js';
import { PROBLEM_CONTENT_TYPE } from '../domain/supplier-contract.js';
import { supplierOpenApi } from './openapi.js';
import { normalizeScript, skuScriptSchema, type SkuScript, type SupplierScript } from '../domain/supplier-script.js';
import { openMockState } from '../wiring/mock-state.js';
import type { ConversationView, MockState } from '../ports/mock-state.js';
import { skuSchema, SKU_RULE } from '../domain/validation.js';
import { AUTH_FAILURES_PER_MINUTE, failureCounter, lockedOut, tokenMatches } from '../serving/tokens.js';
import { assertSafeBind, installHostCheck } from '../serving/bind.js';
import { connectionOptions, DEFAULT_TIMEOUTS, installConnectionGuards, type Timeouts } from '../serving/connection.js';
import type { Clock } from '../ports/clock.js';
import type { LogLine } from './log.js';

export interface SupplierServiceOptions {
  /** a state, or the SQLite file to keep it in */
  state: MockState | { file: string };
  /** scripts stored at start (each replaces its SKU's) */
  script?: SupplierScript;
  port?: number;
  host?: string;
  /** bearer token every call must carry; beyond loopback required, and strong (src/serving/bind.ts) */
  token?: string;
  /** names a loopback service answers to besides localhost, 127.0.0.1 and [::1] (`--allowed-host`) */
  allowedHosts?: readonly string[];
  /** wrong tokens a client address may send a minute before it gets 429 (default 10) */
  authFailuresPerMinute?: number;
  /** where each call's log line goes */
  log?: (line: LogLine) => void;
  clock?: Clock;
  /** request, idle and keep-alive timeouts, as the engine's server has them (default 10 s, 60 s, 5 s) */
  timeouts?: Partial<Timeouts>;
}

export interface SupplierService {
  url: string;
  state: MockState;
  close(): Promise<void>;
}

const OPEN_ROUTES = new Set(['/openapi.json', '/healthz']);

function problem(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send({ type: 'about:blank', title, status, detail });
}

const iso = (ms: number) => new Date(ms).toISOString();
const conversationJson = (c: ConversationView) => ({
  ...c,
  startedAt: iso(c.startedAt),
  updatedAt: iso(c.updatedAt),
  calls: c.calls.map(({ key: _key, ...call }) => ({ ...call, at: iso(call.at) })),
});

export const SUPPLIER_RULE = { variable: 'WAREHOUSE_SUPPLIER_TOKEN', risk: 'script the supplier and read its conversations' };

export async function startSupplierService(opts: SupplierServiceOptions): Promise<SupplierService> {
  const host = opts.host ?? '127.0.0.1';
  assertSafeBind(host, opts.token, SUPPLIER_RULE);
  const clock = opts.clock ?? createRealClock();
  const owned = !('reserve' in opts.state);
  const state = 'reserve' in opts.state ? opts.state : await openMockState({ file: opts.state.file });
  const log = opts.log ?? (() => undefined);
  const answers = createMockAnswers({ state, clock, wall: clock });
  const document = supplierOpenApi();
  // scripted timeouts hold their request until the client leaves or the service stops
  const stopping = new AbortController();

  // the same connection handling as the engine's server: a connection that sends nothing, or a
  // request that does not arrive whole in time, gets a 408 and is closed (Fastify's default is never)
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 16 * 1024,
    routerOptions: { maxParamLength: 256 },
    forceCloseConnections: true,
    return503OnClosing: true,
    ...connectionOptions(timeouts, () => app.log),
  });
  app.removeContentTypeParser(['text/plain']);
  installConnectionGuards(app, timeouts);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) return problem(reply, 500, 'Internal Server Error', `the mock failed: ${error.message}`);
    // the contract names one status for a request that breaks it (a body that did not arrive in
    // time broke nothing: it stays a 408)
    const contract = request.url.startsWith('/supplier/');
    const code = contract && status !== 408 ? 400 : status;
    return problem(reply, code, STATUS_CODES[code] ?? 'Bad Request', `${error.message}; see /openapi.json`);
  });
  app.setNotFoundHandler((request, reply) => problem(reply, 404, 'Not Found', `no route ${request.method} ${request.url.split('?')[0]}; see /openapi.json`));

  installHostCheck(app, host, opts.allowedHosts ?? [], (reply, detail) => problem(reply, 421, 'Misdirected Request', detail));
  if (opts.token) {
    const token = opts.token;
    const failures = failureCounter(opts.authFailuresPerMinute ?? AUTH_FAILURES_PER_MINUTE, 60_000, () => clock.now());
    app.addHook('onRequest', async (request, reply) => {
      if (OPEN_ROUTES.has(request.url.split('?')[0]!)) return;
      const locked = failures.lockedFor(request.ip);
      if (locked > 0) return lockedOut(reply, locked, (r, status, detail) => problem(r, status, STATUS_CODES[status]!, detail));
      if (tokenMatches(token, request.headers.authorization)) return;
      failures.fail(request.ip);
      reply.header('www-authenticate', 'Bearer realm="supplier"');
      return problem(
        reply,
        401,
        'Unauthorized',
        request.headers.authorization ? 'the bearer token is wrong' : 'send Authorization: Bearer <token> (WAREHOUSE_SUPPLIER_TOKEN)',
      );
    });
  }

  async function send(request: FastifyRequest, reply: FastifyReply, answer: MockReply): Promise<FastifyReply | undefined> {
    if (answer.kind === 'body') return reply.code(answer.status).type(answer.contentType).send(answer.body);
    reply.hijack();
    await new Promise<void>((resolve) => {
      if (stopping.signal.aborted || reply.raw.destroyed) return resolve();
      stopping.signal.addEventListener('abort', () => resolve(), { once: true });
      reply.raw.once('close', () => resolve());
    });
    request.raw.socket?.destroy();
    return undefined;
  }
  const leaving = (reply: FastifyReply) => {
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    return AbortSignal.any([gone.signal, stopping.signal]);
  };

  app.post('/supplier/reserve', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const { reply: answer, call } = await answers.reserve({ key: Array.isArray(key) ? key[0] : key, body: request.body, signal: leaving(reply) });
    log({ kind: 'call', call });
    return send(request, reply, answer);
  });
  app.post('/supplier/cancel', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const { reply: answer, call } = await answers.cancel({ key: Array.isArray(key) ? key[0] : key, body: request.body });
    log({ kind: 'call', call });
    return send(request, reply, answer);
  });
  app.get<{ Params: { ref: string } }>('/supplier/status/:ref', async (request, reply) => {
    const { reply: answer, call } = await answers.status({ ref: request.params.ref });
    log({ kind: 'call', call });
    return send(request, reply, answer);
  });

  app.get('/openapi.json', async () => document);
  app.get('/healthz', async () => ({ status: 'ok' }));

  const skuParam = (raw: string) => (raw === '*' ? { success: true as const, data: '*' } : skuSchema.safeParse(raw));
  app.get('/mock/scripts', async () =>
    (await state.listScripts()).map((s) => ({ sku: s.sku, ...normalizeScript(s.script), version: s.version, updatedAt: iso(s.updatedAt) })),
  );
  app.put<{ Params: { sku: string } }>('/mock/scripts/:sku', async (request, reply) => {
    const sku = skuParam(request.params.sku);
    if (!sku.success)
      return problem(reply, 422, 'Unprocessable Content', `"${request.params.sku}" is not a SKU: ${SKU_RULE} (or * for every SKU without a script)`);
    const script = skuScriptSchema.safeParse(request.body ?? {});
    if (!script.success) {
      const issue = script.error.issues[0]!;
      return problem(
        reply,
        422,
        'Unprocessable Content',
        `invalid ${issue.path.join('.') || 'body'}: ${issue.message}; send {"reserve": [...], "status": [...]}`,
      );
    }
    await state.putScripts({ [sku.data]: script.data as SkuScript }, clock.now());
    const stored = (await state.listScripts()).find((s) => s.sku === sku.data)!;
    log({ kind: 'script', sku: sku.data, ...normalizeScript(stored.script), at: clock.now() });
    return { sku: sku.data, ...normalizeScript(stored.script), version: stored.version, updatedAt: iso(stored.updatedAt) };
  });
  app.delete<{ Params: { sku: string } }>('/mock/scripts/:sku', async (request, reply) => {
    const sku = skuParam(request.params.sku);
    if (!sku.success) return problem(reply, 422, 'Unprocessable Content', `"${request.params.sku}" is not a SKU: ${SKU_RULE}`);
    await state.putScripts({ [sku.data]: null }, clock.now());
    log({ kind: 'script', sku: sku.data, reserve: null, status: null, at: clock.now() });
    return reply.code(204).send();
  });
  app.get<{ Querystring: { key?: string } }>('/mock/conversations', async (request) => {
    const key = typeof request.query.key === 'string' ? request.query.key : undefined;
    return (await state.conversations(key === undefined ? {} : { key })).map(conversationJson);
  });

  try {
    if (opts.script && Object.keys(opts.script).length) await state.putScripts(opts.script, clock.now());
    await app.listen({ port: opts.port ?? 4010, host });
  } catch (error) {
    if (owned) await state.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  let closed = false;
  return {
    url,
    state,
    async close() {
      if (closed) return;
      closed = true;
      stopping.abort();
      await app.close();
      if (owned) await state.close();
    },
  };
}
