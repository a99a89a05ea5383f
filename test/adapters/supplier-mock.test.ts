/**
 * The in-process mock over a stored state: an order's own script reaches whichever process runs
 * the order, even one that meets the order before the script is bound to it.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SupplierUnavailableError } from '../../src/domain/errors.js';
import { createRealClock } from '../../src/adapters/clock/real.js';
import { createHttpSupplier } from '../../src/adapters/supplier/http.js';
import { startMockSupplier, type MockSupplier } from '../../src/adapters/mock-supplier/mock.js';
import { openMockState } from '../../src/wiring/mock-state.js';
import type { MockState } from '../../src/ports/mock-state.js';
import { tempDb } from '../helpers.js';

const clock = createRealClock();
const mocks: MockSupplier[] = [];
const states: MockState[] = [];
afterEach(async () => {
  for (const m of mocks.splice(0)) await m.close();
  for (const s of states.splice(0)) await s.close();
});
/** the state in `file`, as the engine's wiring opens it (closed after the mocks) */
async function stateIn(file: string, busyTimeoutMs?: number) {
  const state = await openMockState({ file, busyTimeoutMs });
  states.push(state);
  return state;
}
async function mockOn(file: string) {
  const mock = await startMockSupplier({ clock, wall: createRealClock(), transport: 'direct', state: await stateIn(file) });
  mocks.push(mock);
  return { mock, client: createHttpSupplier({ baseUrl: mock.baseUrl, fetch: mock.fetch, clock, timeoutMs: 5_000 }) };
}

describe('an order script stored around the order', () => {
  it("reaches a worker in another process that calls between the order's commit and the script's binding", async () => {
    const file = tempDb();
    const creator = await mockOn(file);
    const worker = await mockOn(file);
    await creator.mock.setScript('WIDGET', { reserve: 'accepted' });
    let early: Promise<{ accepted: boolean }> | undefined;
    let answeredEarly = false;
    const made = await creator.mock.scriptOrder('WIDGET', { reserve: 'rejected' }, async () => {
      // the order is committed; a worker elsewhere picks its job up at once
      early = worker.client.reserve({ sku: 'WIDGET', qty: 1, idempotencyKey: 'order-1' });
      void early.then(() => (answeredEarly = true));
      // give it time to answer, which it must not do before the script is bound
      await new Promise((r) => setTimeout(r, 100));
      expect(answeredEarly).toBe(false);
      return { key: 'order-1', value: 1 };
    });
    expect(made).toEqual({ value: 1, inTime: true });
    expect(await early).toEqual({ accepted: false, ref: '' });
    // another order of the SKU, created without a script, keeps the SKU's
    expect(await worker.client.reserve({ sku: 'WIDGET', qty: 1, idempotencyKey: 'order-2' })).toMatchObject({ accepted: true });
  });

  it('is withdrawn when the order is not created, holding nobody back', async () => {
    const file = tempDb();
    const creator = await mockOn(file);
    await expect(
      creator.mock.scriptOrder('WIDGET', { reserve: 'rejected' }, async () => {
        throw new Error('validation failed');
      }),
    ).rejects.toThrow('validation failed');
    const worker = await mockOn(file);
    expect(await worker.client.reserve({ sku: 'WIDGET', qty: 1, idempotencyKey: 'order-1' })).toMatchObject({ accepted: true });
    expect(await worker.mock.conversations()).toMatchObject([{ key: 'order-1', script: { source: 'default' } }]);
  });
});

describe('a mock whose state another process keeps locked', () => {
  it('answers 503, a transient failure the engine retries, and goes on once the lock is gone', async () => {
    const file = tempDb();
    const mock = await startMockSupplier({ clock, wall: createRealClock(), transport: 'direct', state: await stateIn(file, 50) });
    mocks.push(mock);
    const client = createHttpSupplier({ baseUrl: mock.baseUrl, fetch: mock.fetch, clock, timeoutMs: 5_000 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const error = await client.reserve({ sku: 'A', qty: 1, idempotencyKey: 'order-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SupplierUnavailableError);
    expect((error as Error).message).toMatch(/HTTP 503/);
    other.exec('ROLLBACK');
    other.close();
    expect(await client.reserve({ sku: 'A', qty: 1, idempotencyKey: 'order-1' })).toEqual({ accepted: true, ref: 'R.order-1.A' });
  });
});
