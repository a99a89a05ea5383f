/**
 * Issue 10 item 2: the OpenAPI document as tools see it. The copy in docs/openapi.json is the one
 * the server serves; Redocly's recommended rules, strict (test/support/openapi-lint.ts), find
 * nothing in it; and a client that knows only the document (test/http/contract.ts) gets 2xx for
 * every valid request it generates, a declared 4xx for every invalid one, and answers that
 * conform to the document in status, headers and body.
 *
 * The server is the one a class uses (`serve --clock virtual`: a paced clock the API moves, its
 * runner on, a supplier service it can script), with what the document's examples name and no
 * generated request makes (`given`, as a Dredd hook would): order 1, parked job 1, dead letter 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPacedClock } from '../../src/adapters/clock/paced.js';
import type { PacedClock } from '../../src/ports/clock.js';
import { MOVEMENT_TYPES } from '../../src/domain/inventory.js';
import { FailureReason, ORDER_STATUSES } from '../../src/domain/order.js';
import { planCreateOrder } from '../../src/domain/plans.js';
import { buildDocument, documentText } from '../../src/http/document.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import { startSupplierService, type SupplierService } from '../../src/supplier/service.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { ROOT, tempDb } from '../helpers.js';
import { lintOpenApi } from '../support/openapi-lint.js';
import { conformanceChecker, invalidRequests, operations, readAnswer, validRequests, type Generated } from './contract.js';

const FILE = join(ROOT, 'docs', 'openapi.json');
const TOKEN = 'contract-'.repeat(4);
const START = Date.UTC(2026, 0, 1, 9);

/**
 * Order 1 with parked job 1, order 2 whose job 2 became dead letter 1, and orders 3 and 4 reserved
 * (the document's examples cancel 3 and fulfil 4). The dead letter comes
 * as in production (the supplier answers 500 until the attempts run out); a job is parked only
 * for a bug or long database trouble, so job 1 is settled as parked through the ports the runner
 * uses, on a job due far ahead that the runner leaves alone.
 */
async function given(w: Warehouse, clock: PacedClock): Promise<void> {
  const far = START + 10 * 365 * 86_400_000;
  const { order } = await w.store.createOrder('PARKED', 1, START, () => planCreateOrder('PARKED', 1, far));
  const [job] = await w.queue.claim(far, 1, 'openapi-test', 60_000);
  await w.store.applyToOrder(order.id, START, () => ({ outcome: 'noop', movements: [], events: [], jobs: [] }), {
    lease: job!.lease,
    settle: { kind: 'park', reason: 'bug: parked by test/http/openapi.test.ts' },
  });
  await w.orders.create({ sku: 'DEAD', qty: 1 });
  await w.inventory.set('KEPT', 2);
  for (const _ of [3, 4]) await w.orders.create({ sku: 'KEPT', qty: 1 });
  await clock.controls.advanceBy(10 * 60_000);
  expect((await w.orders.list({ status: 'reserved' })).orders.map((o) => o.id)).toEqual([3, 4]);
  expect((await w.jobs.list()).map((j) => [j.id, j.state])).toEqual([['1', 'parked']]);
  expect((await w.jobs.failed()).map((d) => [d.id, d.orderId])).toEqual([['1', 2]]);
}

describe('the OpenAPI document', () => {
  let server: RunningServer;
  let supplier: SupplierService;
  let served: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  beforeAll(async () => {
    supplier = await startSupplierService({ state: { file: tempDb() }, port: 0, host: '127.0.0.1', script: { DEAD: { reserve: 'error' } } });
    const clock = createPacedClock(START);
    server = await startServer({ port: 0, database: tempDb(), logLevel: 'silent', clock, token: TOKEN, supplierUrl: supplier.url });
    await given(server.warehouse, clock);
    served = (await (await fetch(`${server.url}/openapi.json`)).json()) as Record<string, unknown>;
  });
  afterAll(async () => {
    await server?.close();
    await supplier?.close();
  });

  it('is kept in docs/openapi.json as served (run `npm run openapi` after changing the API)', async () => {
    expect(documentText(served)).toBe(documentText(await buildDocument()));
    expect(readFileSync(FILE, 'utf8'), 'docs/openapi.json is stale: run `npm run openapi`').toBe(documentText(served));
  });

  it("passes Redocly's lint with the recommended-strict rules: no error, no warning", async () => {
    expect(await lintOpenApi(FILE)).toEqual([]);
  });

  it('names every operation, and says which are public', () => {
    const ops = operations(served);
    expect(ops.length).toBe(30); // the API's 13, and the dashboard's 17 (docs/design.md §13)
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, op } of ops) {
      expect(op.security, op.operationId).toEqual(method === 'GET' ? [] : [{ bearer: [] }]);
      expect(
        Object.keys(op.responses).some((s) => s.startsWith('4')),
        `${op.operationId} has a 4xx`,
      ).toBe(true);
    }
    expect(served.servers).toHaveLength(1);
  });

  it("takes its enums from the domain's constants", () => {
    const { Order, Movement } = served.components.schemas;
    expect(Order.properties.status.enum).toEqual([...ORDER_STATUSES]);
    expect(Order.properties.failureReason.anyOf[0].enum).toEqual(Object.values(FailureReason));
    expect(Movement.properties.type.enum).toEqual([...MOVEMENT_TYPES]);
  });

  describe('requests generated from it alone', () => {
    const seen = new Map<string, number[]>();
    const send = async (g: Generated) => {
      const res = await fetch(`${server.url}${g.path}`, {
        method: g.method,
        headers: g.headers,
        body: g.body === undefined ? undefined : JSON.stringify(g.body),
      });
      const answer = await readAnswer(res); // an event stream: up to its first event
      seen.set(g.operationId, [...(seen.get(g.operationId) ?? []), res.status]);
      return answer;
    };
    const templateOf = (g: Generated) => operations(served).find(({ op }) => op.operationId === g.operationId)!.path;

    it('succeed when valid, every one, and every answer conforms to the document', async () => {
      const problems = conformanceChecker(served);
      const requests = validRequests(served, TOKEN);
      expect(requests.length).toBeGreaterThan(40);
      const failures: string[] = [];
      for (const g of requests) {
        const answer = await send(g);
        const found = problems(templateOf(g), g.method, answer);
        if (answer.status < 200 || answer.status > 299) found.unshift(`answered ${answer.status}: ${answer.text.slice(0, 200)}`);
        if (found.length) failures.push(`${g.method} ${g.path} (${g.note}): ${found.join('; ')}`);
      }
      expect(failures).toEqual([]);
      // every operation was exercised
      expect([...seen.keys()].sort()).toEqual(
        operations(served)
          .map(({ op }) => op.operationId as string)
          .sort(),
      );
    });

    it('get a declared 4xx when they cross a bound the document states, conforming too', async () => {
      const problems = conformanceChecker(served);
      const requests = invalidRequests(served, TOKEN);
      expect(requests.length).toBeGreaterThan(15);
      const failures: string[] = [];
      for (const g of requests) {
        const answer = await send(g);
        const found = problems(templateOf(g), g.method, answer);
        if (answer.status < 400 || answer.status > 499) found.unshift(`answered ${answer.status}, not a 4xx`);
        if (found.length) failures.push(`${g.method} ${g.path} (${g.note}): ${found.join('; ')}`);
      }
      expect(failures).toEqual([]);
    });

    it('can tell a non-conforming answer (the check can fail)', () => {
      const problems = conformanceChecker(served);
      const headers = new Headers({ 'content-type': 'application/json', 'x-request-id': 'r1', 'x-secret': '1' });
      const found = problems('/api/inventory/{sku}', 'GET', { status: 200, headers, text: JSON.stringify({ sku: 'A', onHand: '1' }) });
      expect(found.join('\n')).toMatch(/body: .*onHand/);
      expect(found.join('\n')).toMatch(/header x-secret is sent but not declared/);
      expect(problems('/api/inventory/{sku}', 'GET', { status: 418, headers, text: '' })).toEqual([expect.stringMatching(/does not declare/)]);
      expect(problems('/api/orders', 'POST', { status: 201, headers: new Headers({ 'content-type': 'application/json' }), text: '{}' }).join('\n')).toMatch(
        /required header location missing/,
      );
    });
  });
});
