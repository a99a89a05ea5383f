/**
 * The supplier HTTP client of docs/design.md §5. It always runs, whether the answer comes from a real
 * supplier or from the mock. Answers are parsed with the contract's schemas (contract.ts). Every
 * failure that a retry may fix becomes a retryable SupplierUnavailableError; each call has a
 * timeout on the engine's clock.
 */
import type { z } from 'zod';
import { SupplierContractError, SupplierKeyConflictError, SupplierUnavailableError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { ReserveRequest, Supplier } from '../../ports/supplier.js';
import { NO_TRACING, type Span, type Tracing } from '../../ports/tracing.js';
import { cancelAnswerSchema, reserveAnswerSchema, statusAnswerSchema } from '../../domain/supplier-contract.js';

export interface HttpSupplierOptions {
  baseUrl: string;
  clock: Clock;
  timeoutMs: number;
  /**
   * Also give up after this much wall time. Needed when the clock is virtual but the supplier is
   * a real server that may never answer (virtual time does not pass while a job waits on it).
   */
  wallTimeoutMs?: number;
  /** sent as `Authorization: Bearer <token>` (--supplier-token, WAREHOUSE_SUPPLIER_TOKEN) */
  token?: string;
  /** the global fetch by default (which MSW intercepts) */
  fetch?: typeof fetch;
  /** a client span per call (HTTP client conventions), its trace context sent as `traceparent` */
  tracing?: Tracing;
}

const keyOf = (init: RequestInit): string | undefined => (init.headers as Record<string, string> | undefined)?.['idempotency-key'];

export function createHttpSupplier(opts: HttpSupplierOptions): Supplier {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};

  const tracing = opts.tracing ?? NO_TRACING;

  /**
   * One call in a client span named after the route (`POST /supplier/reserve`, `GET
   * /supplier/status/{ref}`) with the HTTP client conventions' attributes and the Idempotency-Key.
   */
  function traced<S extends z.ZodType>(
    what: string,
    route: string,
    url: string,
    init: RequestInit & { headers: Record<string, string> },
    schema: S,
    answer: (body: z.output<S>) => string,
  ): Promise<z.output<S>> {
    if (!tracing.enabled || !tracing.active()) return call(what, url, init, schema);
    const method = init.method ?? 'GET';
    const target = new URL(url);
    const attributes = {
      'http.request.method': method,
      'url.full': target.origin + target.pathname + target.search, // never a userinfo part
      'url.template': route,
      'server.address': target.hostname,
      'server.port': Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
      'http.request.header.idempotency-key': init.headers['idempotency-key'] ? [init.headers['idempotency-key']] : undefined,
      'warehouse.supplier.call': what,
    };
    return tracing.inSpan(`${method} ${route}`, { kind: 'client', attributes }, async (span) => {
      const body = await call(what, url, { ...init, headers: { ...init.headers, ...tracing.inject() } }, schema, span);
      span.setAttributes({ 'warehouse.supplier.answer': answer(body) });
      return body;
    });
  }

  async function call<S extends z.ZodType>(what: string, url: string, init: RequestInit, schema: S, span?: Span): Promise<z.output<S>> {
    // the engine's clock decides the timeout (so it is virtual in virtual time)
    const timeout = opts.clock.timeout(opts.timeoutMs);
    const wall = opts.wallTimeoutMs === undefined ? undefined : AbortSignal.timeout(opts.wallTimeoutMs);
    const signal = wall ? AbortSignal.any([timeout.signal, wall]) : timeout.signal;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, { ...init, signal });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) {
        throw new SupplierUnavailableError('timeout', `supplier ${what} timed out after ${opts.timeoutMs} ms`, { cause: error });
      }
      throw new SupplierUnavailableError('network', `supplier ${what} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      timeout.clear();
    }
    span?.setAttributes({ 'http.response.status_code': response.status });
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw new SupplierUnavailableError('http_error', `supplier ${what} answered HTTP ${response.status}`);
    }
    if (response.status === 422 && keyOf(init)) {
      // §5.2: the key was used before with another body; the answer is about another order's reservation
      const key = keyOf(init)!;
      throw new SupplierKeyConflictError(
        key,
        `supplier ${what} refused Idempotency-Key ${key} as used before with another body (HTTP 422): ${text.slice(0, 200)}`,
      );
    }
    if (!response.ok) {
      throw new SupplierContractError(`supplier ${what} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SupplierUnavailableError('malformed', `supplier ${what} answered with a body that is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new SupplierUnavailableError('malformed', `supplier ${what} answered an unexpected body: ${JSON.stringify(body).slice(0, 120)}`);
    }
    return parsed.data;
  }

  return {
    async reserve(req: ReserveRequest) {
      const answer = await traced(
        'reserve',
        '/supplier/reserve',
        `${base}/supplier/reserve`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': req.idempotencyKey, ...auth },
          body: JSON.stringify({ sku: req.sku, qty: req.qty }),
        },
        reserveAnswerSchema,
        (a) => (a.accepted ? 'accepted' : 'rejected'),
      );
      return { accepted: answer.accepted, ref: answer.ref ?? '' };
    },
    async status(ref) {
      const answer = await traced(
        'status',
        '/supplier/status/{ref}',
        `${base}/supplier/status/${encodeURIComponent(ref)}`,
        { method: 'GET', headers: { ...auth } },
        statusAnswerSchema,
        (a) => a.status,
      );
      return answer.status;
    },
    async cancel(req) {
      const answer = await traced(
        'cancel',
        '/supplier/cancel',
        `${base}/supplier/cancel`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': req.idempotencyKey, ...auth },
          body: JSON.stringify({ ref: req.ref }),
        },
        cancelAnswerSchema,
        (a) => a.status,
      );
      return answer.status;
    },
  };
}
