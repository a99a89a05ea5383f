/**
 * `warehouse supplier serve` on port 0, driven by the engine's real HTTP client: how the client
 * takes each answer kind, the live script and conversation routes, auth, the log, and a restart.
 */
import { describe, expect, it } from 'vitest';
import { createRealClock } from '../../src/adapters/clock/real.js';
import { createHttpSupplier } from '../../src/adapters/supplier/http.js';
import { SupplierContractError, SupplierKeyConflictError, SupplierUnavailableError } from '../../src/domain/errors.js';
import { CONTRACT_FILE } from './contract.js';
import { exchange, parse } from '../http/raw-socket.js';
import { putScript, testService } from './support.js';
import { readFileSync } from 'node:fs';

const clock = createRealClock();
/**
 * The client gives up after 1 s: a scripted `timeout` costs that much, and an answer from the
 * service (another process) arrives well within it even on a busy machine (300 ms was once too
 * short for one).
 */
const client = (url: string, token?: string) => createHttpSupplier({ baseUrl: url, clock, timeoutMs: 1_000, token });
const key = (n: number) => `order-${n}`;

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('the HTTP client against the real supplier service', () => {
  it('takes accepted and rejected as final answers, with the ref of an acceptance', async () => {
    const s = await testService({ script: { REJ: { reserve: 'rejected' } } });
    const c = client(s.url);
    expect(await c.reserve({ sku: 'ACC', qty: 1, idempotencyKey: key(1) })).toEqual({ accepted: true, ref: 'R.order-1.ACC' });
    expect(await c.reserve({ sku: 'REJ', qty: 1, idempotencyKey: key(2) })).toEqual({ accepted: false, ref: '' });
  });

  it('takes a 5xx, a timeout and a malformed body as transient failures, then the same key is answered afresh', async () => {
    const s = await testService({ script: { FLAKY: { reserve: ['error', 'timeout', 'malformed', 'accepted'] } } });
    const c = client(s.url);
    const req = { sku: 'FLAKY', qty: 2, idempotencyKey: key(1) };
    const kinds = [];
    for (let i = 0; i < 3; i++) {
      const e = await failure(c.reserve(req));
      expect(e).toBeInstanceOf(SupplierUnavailableError);
      kinds.push((e as SupplierUnavailableError).kind);
    }
    expect(kinds).toEqual(['http_error', 'timeout', 'malformed']);
    expect(await c.reserve(req)).toEqual({ accepted: true, ref: 'R.order-1.FLAKY' });
    expect(await c.reserve(req)).toEqual({ accepted: true, ref: 'R.order-1.FLAKY' }); // a replay
  });

  it('reads ok, fail and delayed, and takes a status error, timeout or malformed body as transient', async () => {
    const s = await testService({ script: { S: { status: ['delayed', 'error', 'timeout', 'malformed', 'fail', 'ok'] } } });
    const c = client(s.url);
    const { ref } = await c.reserve({ sku: 'S', qty: 1, idempotencyKey: key(1) });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        seen.push(await c.status(ref));
      } catch (error) {
        seen.push((error as SupplierUnavailableError).kind);
      }
    }
    expect(seen).toEqual(['delayed', 'http_error', 'timeout', 'malformed', 'fail', 'ok']);
  });

  it('takes an unknown ref and a key reused with another body as faults no retry fixes', async () => {
    const s = await testService();
    const c = client(s.url);
    expect(await failure(c.status('R.order-404.X'))).toBeInstanceOf(SupplierContractError);
    await c.reserve({ sku: 'X', qty: 1, idempotencyKey: key(1) });
    // the key used before with another body: a key conflict (docs/design.md §5.2), not a transient failure
    const e = await failure(c.reserve({ sku: 'X', qty: 2, idempotencyKey: key(1) }));
    expect(e).toBeInstanceOf(SupplierKeyConflictError);
    expect(e.message).toMatch(/refused Idempotency-Key order-1 as used before with another body \(HTTP 422\).*order-1 was used for X × 1/);
  });
});

describe('the supplier service', () => {
  it("changes a SKU's mood live: conversations under way hear the new script from its top", async () => {
    const s = await testService({ script: { W: { status: ['delayed', 'delayed', 'ok'] } } });
    const c = client(s.url);
    const { ref } = await c.reserve({ sku: 'W', qty: 1, idempotencyKey: key(1) });
    expect(await c.status(ref)).toBe('delayed');
    const put = await putScript(s.url, 'w', { status: ['fail'] });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ sku: 'W', reserve: ['accepted'], status: ['fail'] });
    expect(await c.status(ref)).toBe('fail');
    expect((await c.reserve({ sku: 'W', qty: 1, idempotencyKey: key(2) })).accepted).toBe(true);
    expect(await c.status('R.order-2.W')).toBe('fail');
    expect(await (await fetch(`${s.url}/mock/scripts`)).json()).toMatchObject([{ sku: 'W', status: ['fail'] }]);
  });

  it('refuses a script that is not one, naming what is wrong', async () => {
    const s = await testService();
    const bad = await putScript(s.url, 'W', { status: ['maybe'] } as never);
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/status\.0: not a supplier status answer/);
    expect((await putScript(s.url, 'NO SPACES', {})).status).toBe(422);
    expect((await putScript(s.url, 'W', { reserve: 'accepted', mood: 'bad' } as never)).status).toBe(422);
    expect(await (await fetch(`${s.url}/mock/scripts`)).json()).toEqual([]);
  });

  it('lists each conversation with its script and calls', async () => {
    const s = await testService({ script: { W: { reserve: ['error', 'accepted'], status: ['delayed', 'ok'] } } });
    const c = client(s.url);
    await failure(c.reserve({ sku: 'W', qty: 3, idempotencyKey: key(7) }));
    const { ref } = await c.reserve({ sku: 'W', qty: 3, idempotencyKey: key(7) });
    await c.status(ref);
    const all = (await (await fetch(`${s.url}/mock/conversations`)).json()) as Array<Record<string, unknown>>;
    expect(all).toEqual([
      expect.objectContaining({
        key: 'order-7',
        sku: 'W',
        qty: 3,
        ref: 'R.order-7.W',
        outcome: 'accepted',
        script: { source: 'sku', reserve: ['error', 'accepted'], status: ['delayed', 'ok'], cancel: ['ok'] },
        calls: [
          expect.objectContaining({ kind: 'reserve', answer: 'error', replay: false }),
          expect.objectContaining({ kind: 'reserve', answer: 'accepted', replay: false }),
          expect.objectContaining({ kind: 'status', answer: 'delayed', replay: false }),
        ],
      }),
    ]);
    expect(await (await fetch(`${s.url}/mock/conversations?key=order-8`)).json()).toEqual([]);
  });

  it('logs one human-readable line per call', async () => {
    const s = await testService({ script: { W: { reserve: ['error', 'accepted'], status: 'delayed' } } });
    const c = client(s.url);
    await failure(c.reserve({ sku: 'W', qty: 3, idempotencyKey: key(1) }));
    await c.reserve({ sku: 'W', qty: 3, idempotencyKey: key(1) });
    await c.reserve({ sku: 'W', qty: 3, idempotencyKey: key(1) });
    await c.status('R.order-1.W');
    await failure(c.status('nope'));
    const lines = s.text().map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3}\s+/, ''));
    expect(lines).toEqual([
      'reserve  order-1  W × 3  → error (500)',
      'reserve  order-1  W × 3  → accepted  R.order-1.W',
      'reserve  order-1  W × 3  → accepted  R.order-1.W  (replayed: same key, same answer)',
      'status   order-1  R.order-1.W  → delayed',
      'status   ?  nope  → refused: unknown ref (404)',
    ]);
  });

  it('serves the contract at /openapi.json, as kept in the repo', async () => {
    const s = await testService();
    const res = await fetch(`${s.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')));
  });

  it('with a token, answers only calls that carry it; the document and health stay open', async () => {
    const s = await testService({ token: 's3cret' });
    const anonymous = await failure(client(s.url).reserve({ sku: 'X', qty: 1, idempotencyKey: key(1) }));
    expect(anonymous).toBeInstanceOf(SupplierContractError);
    expect(anonymous.message).toMatch(/HTTP 401/);
    expect((await failure(client(s.url, 'wrong').status('R.order-1.X'))).message).toMatch(/HTTP 401/);
    expect(await client(s.url, 's3cret').reserve({ sku: 'X', qty: 1, idempotencyKey: key(1) })).toEqual({ accepted: true, ref: 'R.order-1.X' });
    expect((await putScript(s.url, 'X', { reserve: 'rejected' })).status).toBe(401);
    expect((await putScript(s.url, 'X', { reserve: 'rejected' }, 's3cret')).status).toBe(200);
    expect((await fetch(`${s.url}/mock/conversations`)).status).toBe(401);
    expect((await fetch(`${s.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('remembers its scripts and conversations across a restart on the same state file', async () => {
    const first = await testService({ script: { W: { status: ['delayed', 'ok'] } } });
    const c1 = client(first.url);
    const { ref } = await c1.reserve({ sku: 'W', qty: 1, idempotencyKey: key(1) });
    expect(await c1.status(ref)).toBe('delayed');
    await first.close();
    const second = await testService({ file: first.file });
    const c2 = client(second.url);
    expect(await c2.reserve({ sku: 'W', qty: 1, idempotencyKey: key(1) })).toEqual({ accepted: true, ref });
    expect(await c2.status(ref)).toBe('ok');
  });

  // issue 18 defect 4: Fastify's default never closed a silent connection (no request timeout)
  it('answers 408 and closes a connection that sends nothing, before and after it has served calls', async () => {
    const requestMs = 1_000;
    const s = await testService({ timeouts: { requestMs } });
    const silent = async () => {
      const r = await exchange(s.url, () => undefined, requestMs * 5);
      expect(parse(r.text)).toMatchObject({ status: 408, headers: { 'content-type': expect.stringMatching(/^application\/problem\+json/) } });
      expect(r.closedAfter).toBeGreaterThanOrEqual(requestMs - 50);
      expect(r.closedAfter).toBeLessThan(requestMs + 650);
    };
    await silent();
    expect(await client(s.url).reserve({ sku: 'ANY', qty: 1, idempotencyKey: key(1) })).toMatchObject({ accepted: true });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    await silent();
  });

  it('lets go of a request held by a scripted timeout when it stops', async () => {
    const s = await testService({ script: { SLOW: { reserve: 'timeout' } } });
    const held = fetch(`${s.url}/supplier/reserve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
      body: '{"sku":"SLOW","qty":1}',
    });
    while (!s.lines.length) await new Promise((r) => setImmediate(r)); // the call has arrived
    await s.close(); // returns although the request never got an answer
    await expect(held).rejects.toThrow();
  });
});

describe('the supplier service, scripted for every SKU', () => {
  it('takes * as the script of every SKU without one of its own', async () => {
    const s = await testService({ script: { KEEP: { reserve: 'accepted' } } });
    expect((await putScript(s.url, '*', { reserve: 'rejected' })).status).toBe(200);
    const c = client(s.url);
    expect(await c.reserve({ sku: 'ANY', qty: 1, idempotencyKey: key(1) })).toEqual({ accepted: false, ref: '' });
    expect(await c.reserve({ sku: 'KEEP', qty: 1, idempotencyKey: key(2) })).toMatchObject({ accepted: true });
    expect((await fetch(`${s.url}/mock/scripts/*`, { method: 'DELETE' })).status).toBe(204);
    expect(await c.reserve({ sku: 'ANY', qty: 1, idempotencyKey: key(3) })).toMatchObject({ accepted: true });
  });
});
