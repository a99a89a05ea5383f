/**
 * Issue 10 item 1: a SKU is upper-case ASCII. `toUpperCase` folds "ı" to I, "ß" to SS, "ﬁ" to FI
 * and "ſ" to S, so a non-ASCII SKU once overwrote another SKU's stock. Such a SKU is refused
 * before it is normalised, over HTTP (path and body) and in the CLI, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSku } from '../../src/domain/validation.js';
import { runCli, tempDb } from '../helpers.js';
import { rowCounts, testServer, type TestServer } from './support.js';

/** each non-ASCII spelling and the ASCII SKU toUpperCase would fold it onto */
const FOLDED: Array<[string, string]> = [
  ['wıdget', 'WIDGET'],
  ['glaß', 'GLASS'],
  ['ﬁle', 'FILE'],
  ['ſku', 'SKU'],
];

describe('non-ASCII SKUs', () => {
  it.each(FOLDED)('refuses %j instead of folding it onto %s, naming the character', (text) => {
    expect(() => parseSku(text)).toThrow(/is not ASCII/);
    // no other blank or letter slips through either
    expect(() => parseSku('\u00a0A')).toThrow(/: U\+00A0 is not ASCII/);
    expect(() => parseSku('Ä')).toThrow(/"Ä" \(U\+00C4\) is not ASCII/);
  });

  it('still trims and upper-cases ASCII SKUs', () => {
    expect(parseSku(' widget-1 ')).toBe('WIDGET-1');
    expect(parseSku('x.y_z')).toBe('X.Y_Z');
  });

  describe('over HTTP', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await testServer({ runner: false, rateLimitPerMinute: 0 });
      for (const [, ascii] of FOLDED) expect((await server.call('PUT', `/api/inventory/${ascii}`, { json: { onHand: 5 } })).status).toBe(200);
    });
    afterAll(async () => {
      await server.close();
    });

    it.each(FOLDED)('answers 422 for %j in a path or a body, and %s keeps its stock', async (text, ascii) => {
      const before = rowCounts(server.db);
      const path = encodeURIComponent(text);
      const writes = [
        await server.call('PUT', `/api/inventory/${path}`, { json: { onHand: 100 } }),
        await server.call('POST', `/api/inventory/${path}/restock`, { json: { qty: 100 } }),
        await server.call('POST', '/api/order', { json: { sku: text, qty: 1 } }),
        await server.call('GET', `/api/inventory/${path}`),
      ];
      for (const r of writes) {
        expect(r.status).toBe(422);
        expect(r.body).toMatchObject({ type: 'urn:warehouse:problem:validation', field: 'sku' });
        expect(r.body.detail).toMatch(/is not ASCII/);
      }
      expect((await server.call('GET', `/api/inventory/${ascii}`)).body.onHand).toBe(5);
      expect(rowCounts(server.db)).toEqual(before);
    });
  });

  describe('in the CLI', () => {
    const db = tempDb();
    beforeAll(async () => {
      expect((await runCli(['--db', db, 'inventory', 'set', 'WIDGET', '5'])).code).toBe(0);
    });

    it.each([
      ['inventory', 'set', 'wıdget', '100'],
      ['inventory', 'add', 'glaß', '1'],
      ['inventory', 'movements', 'ﬁle'],
      ['order', 'create', '--sku', 'ſku', '--qty', '1', '--no-wait'],
    ])('exits 2 for %s %s %j with a message that names the character', async (...args) => {
      const r = await runCli(['--db', db, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/invalid sku ".+": ".+" \(U\+[0-9A-F]{4}\) is not ASCII; a SKU is 1-64 characters of A-Z/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });

    it('left WIDGET alone and created no other SKU', async () => {
      const list = JSON.parse((await runCli(['--db', db, '--json', 'inventory', 'list'])).stdout) as Array<{ sku: string; onHand: number }>;
      expect(list.map((i) => [i.sku, i.onHand])).toEqual([['WIDGET', 5]]);
    });
  });
});
