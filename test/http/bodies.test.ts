/**
 * Issue 10 item 6: a missing body is one answer whatever the Content-Type says, and a body the
 * API cannot read as it is (compressed, or in a charset other than UTF-8) is 415, not parsed
 * anyway.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowCounts, testServer, type TestServer } from './support.js';

describe('request bodies', () => {
  let server: TestServer;
  let before: Record<string, number>;
  beforeAll(async () => {
    server = await testServer({ runner: false, rateLimitPerMinute: 0 });
    before = rowCounts(server.db);
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a missing body with the same 400 with or without a Content-Type', async () => {
    const none = await server.call('POST', '/api/order');
    const typed = await server.call('POST', '/api/order', { raw: '', contentType: 'application/json' });
    const put = await server.call('PUT', '/api/inventory/A');
    for (const r of [none, typed, put]) {
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: 'the request has no body; send a JSON object with Content-Type: application/json',
      });
    }
  });

  it.each(['gzip', 'deflate', 'br', 'GZIP'])('answers Content-Encoding %s with 415, without reading the body', async (encoding) => {
    const body = encoding.toLowerCase() === 'gzip' ? gzipSync(JSON.stringify({ sku: 'A', qty: 1 })).toString('latin1') : JSON.stringify({ sku: 'A', qty: 1 });
    const r = await server.call('POST', '/api/order', { raw: body, headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
    expect(r.status).toBe(415);
    expect(r.body.detail).toBe(`the body is sent with Content-Encoding ${encoding.toLowerCase()}, which this API does not accept; send it uncompressed`);
  });

  it.each(['latin1', 'utf-16', 'ISO-8859-1', '""'])('answers charset=%s with 415', async (charset) => {
    const r = await server.call('PUT', '/api/inventory/A', { raw: '{"onHand":1}', contentType: `application/json; charset=${charset}` });
    expect(r.status).toBe(415);
    expect(r.body.detail).toMatch(/JSON here is UTF-8 only/);
  });

  it('stored nothing for any of them', () => {
    expect(rowCounts(server.db)).toEqual(before);
  });

  it.each(['utf-8', 'UTF-8', '"utf-8"', 'utf8'])('accepts charset=%s, and Content-Encoding identity', async (charset) => {
    const r = await server.call('POST', '/api/inventory/A/restock', {
      raw: '{"qty":1}',
      headers: { 'content-type': `application/json; charset=${charset}`, 'content-encoding': 'identity' },
    });
    expect(r.status).toBe(200);
  });
});
