/**
 * Hostile HTTP input (issue #5): 1,000 random requests no polite client sends, against one
 * in-process server. The contract each answer is held to is written in ./http-fuzz.ts; the soak
 * runs the same property 20,000 times.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../helpers.js';
import { checkOne, httpFuzzProperty, KNOWN_DEFECTS, startFuzzTarget, type FuzzTarget, type HostileRequest } from './http-fuzz.js';

describe('hostile HTTP input', () => {
  let target: FuzzTarget;
  beforeAll(async () => {
    target = await startFuzzTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it('never gets a 5xx, always gets problem+json on errors, and changes nothing when rejected', async () => {
    await fc.assert(httpFuzzProperty(target), { numRuns: 1_000, seed: Number(process.env.FUZZ_SEED ?? 20260501) });
    // the run reached both sides of the API: some requests were accepted, many were refused
    const statuses = [...target.seen.keys()];
    expect(statuses).toEqual(expect.arrayContaining(['201', '200', '400', '404', '413', '415', '422']));
    expect(checkInvariants(target.db)).toEqual([]);
  }, 60_000);

  it('catches a request the oracle and the server disagree on (the check can fail)', async () => {
    // a valid order body sent to a route that does not exist: the 404 contradicts the oracle's
    // "must be accepted", so checkOne must throw
    const lie: HostileRequest = {
      method: 'POST',
      path: '/api/nowhere',
      headers: [['content-type', 'application/json']],
      body: JSON.stringify({ sku: 'A', qty: 1 }),
      intent: { kind: 'create-order', json: { sku: 'A', qty: 1 } },
    };
    await expect(checkOne(target, lie)).rejects.toThrow(/oracle says this request is valid, but it was rejected/);
  });

  // the defects this fuzzer found, now fixed: each answers problem+json with its request id
  const fixed: Array<[string, HostileRequest, number]> = [
    ['a path segment over 100 characters', { method: 'GET', path: `/api/inventory/${'A'.repeat(101)}`, headers: [], intent: { kind: 'read' } }, 414],
    ['bad percent-encoding in the path', { method: 'GET', path: '/api/orders/%zz', headers: [], intent: { kind: 'read' } }, 400],
    [
      'a method the path does not have, with a body that cannot be parsed',
      { method: 'DELETE', path: '/api/orders/1', headers: [['content-type', 'application/json']], body: '{', intent: { kind: 'other' } },
      405,
    ],
  ];
  for (const [name, request, status] of fixed) {
    it(`answers ${status} problem+json for ${name}`, async () => {
      const reply = await checkOne(target, request, { strict: true });
      expect(reply?.status).toBe(status);
    });
  }

  // Reported defects the property tolerates (see KNOWN_DEFECTS). Each `it.fails` passes while the
  // defect is there; once it is fixed this test fails: then delete its entry in KNOWN_DEFECTS.
  for (const defect of KNOWN_DEFECTS) {
    it.fails(`still has the known defect: ${defect.name}`, async () => {
      await checkOne(target, defect.example, { strict: true });
    });
  }
});
