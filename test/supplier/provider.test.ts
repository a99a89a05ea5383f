/**
 * Provider side of the contract: every answer the mock gives, in-process (both transports, both
 * kinds of state) and as `warehouse supplier serve`, conforms to contracts/supplier.openapi.json;
 * the answers scripted `malformed` break it on purpose and the check catches them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRealClock } from '../../src/adapters/clock/real.js';
import { startMockSupplier, type MockSupplier } from '../../src/adapters/mock-supplier/mock.js';
import type { SupplierScript } from '../../src/domain/supplier-script.js';
import type { MockState } from '../../src/ports/mock-state.js';
import { openMockState } from '../../src/wiring/mock-state.js';
import { tempDb } from '../helpers.js';
import { loadContract, type SeenResponse } from './contract.js';
import { testService } from './support.js';

const contract = loadContract();

const SCRIPT: SupplierScript = {
  A: { reserve: ['error', 'malformed', 'accepted'], status: ['delayed', 'error', 'malformed', 'fail', 'ok'] },
  R: { reserve: 'rejected' },
};

interface Probe {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** a scripted `malformed` answer: it must break the contract */
  breaks?: true;
}

const reserve = (name: string, key: string | null, body: unknown, breaks?: true): Probe => ({
  name,
  method: 'POST',
  path: '/supplier/reserve',
  headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  ...(breaks ? { breaks } : {}),
});
const status = (name: string, ref: string, breaks?: true): Probe => ({
  name,
  method: 'GET',
  path: `/supplier/status/${encodeURIComponent(ref)}`,
  ...(breaks ? { breaks } : {}),
});

/** Every answer kind of both operations, errors included, in one conversation order. */
const PROBES: Probe[] = [
  reserve('reserve → error (500)', 'order-1', { sku: 'A', qty: 2 }),
  reserve('reserve → malformed', 'order-1', { sku: 'A', qty: 2 }, true),
  reserve('reserve → accepted', 'order-1', { sku: 'A', qty: 2 }),
  reserve('reserve → accepted again (replay)', 'order-1', { sku: 'A', qty: 2 }),
  reserve('reserve → rejected', 'order-2', { sku: 'R', qty: 1 }),
  reserve('reserve with a reused key → 422', 'order-1', { sku: 'A', qty: 3 }),
  reserve('reserve without a key → 400', null, { sku: 'A', qty: 2 }),
  reserve('reserve with a bad body → 400', 'order-3', { sku: 'A', qty: 0 }),
  reserve('reserve with broken JSON → 400', 'order-4', '{"sku": '),
  status('status → delayed', 'R.order-1.A'),
  status('status → error (503)', 'R.order-1.A'),
  status('status → malformed', 'R.order-1.A', true),
  status('status → fail', 'R.order-1.A'),
  status('status → ok', 'R.order-1.A'),
  status('status of an unknown ref → 404', 'R.order-99.A'),
];

async function exercise(base: string, doFetch: typeof fetch): Promise<Array<{ probe: Probe; response: SeenResponse }>> {
  const out = [];
  for (const probe of PROBES) {
    const res = await doFetch(`${base}${probe.path}`, { method: probe.method, headers: probe.headers, body: probe.body });
    out.push({ probe, response: { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() } });
  }
  return out;
}

/** [] when every answer conforms except the scripted malformed ones, which must not. */
function violations(seen: Awaited<ReturnType<typeof exercise>>): string[] {
  return seen.flatMap(({ probe, response }) => {
    const problems = contract.checkResponse({ method: probe.method, url: `http://x${probe.path}` }, response);
    if (probe.breaks) return problems.length ? [] : [`${probe.name}: the broken answer passed the check (${response.body})`];
    return problems.map((p) => `${probe.name}: ${p}`);
  });
}

const mocks: MockSupplier[] = [];
const states: MockState[] = [];
afterEach(async () => {
  for (const m of mocks.splice(0)) await m.close();
  for (const s of states.splice(0)) await s.close();
});

describe('every answer of the mock conforms to the contract, except the scripted malformed ones', () => {
  it.each([
    ['in-process, intercepted, state in memory', 'intercept', ':memory:'],
    ['in-process, intercepted, state in SQLite', 'intercept', 'file'],
    ['in-process, direct transport', 'direct', 'file'],
  ] as const)('%s', async (_name, transport, where) => {
    const mock = await startMockSupplier({
      clock: createRealClock(),
      wall: createRealClock(),
      script: SCRIPT,
      transport,
      state: where === 'file' ? await openMockState({ file: tempDb() }) : undefined,
    });
    mocks.push(mock);
    if (where === 'file') states.push(mock.state);
    const seen = await exercise(mock.baseUrl, mock.fetch ?? fetch);
    expect(seen.map((s) => s.response.status)).toEqual([500, 200, 200, 200, 200, 422, 400, 400, 400, 200, 503, 200, 200, 200, 404]);
    expect(violations(seen)).toEqual([]);
  });

  it('as `warehouse supplier serve`', async () => {
    const s = await testService({ script: SCRIPT });
    const seen = await exercise(s.url, fetch);
    expect(seen.map((x) => x.response.status)).toEqual([500, 200, 200, 200, 200, 422, 400, 400, 400, 200, 503, 200, 200, 200, 404]);
    expect(violations(seen)).toEqual([]);
  });

  it('as `warehouse supplier serve` with a token, its 401 included', async () => {
    const s = await testService({ token: 't0ken' });
    const res = await fetch(`${s.url}/supplier/reserve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'order-1' },
      body: '{"sku":"A","qty":1}',
    });
    const answer = { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
    expect(answer.status).toBe(401);
    expect(contract.checkResponse({ method: 'POST', url: 'http://x/supplier/reserve' }, answer)).toEqual([]);
    const status = await fetch(`${s.url}/supplier/status/R.1`);
    expect(
      contract.checkResponse(
        { method: 'GET', url: 'http://x/supplier/status/R.1' },
        { status: status.status, contentType: status.headers.get('content-type'), body: await status.text() },
      ),
    ).toEqual([]);
  });

  it('would catch a mock whose answer drifted from the contract', () => {
    // the same check, fed the kind of drift a refactor could bring in
    const drifted = [
      { status: 200, contentType: 'application/json', body: JSON.stringify({ accepted: true, reference: 'R.1' }) },
      { status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, ref: 'R.1' }) },
      { status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'supplier error' }) },
    ];
    for (const d of drifted) expect(contract.checkResponse({ method: 'POST', url: 'http://x/supplier/reserve' }, d)).not.toEqual([]);
  });
});
