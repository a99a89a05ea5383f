/**
 * The supplier contract document: kept in the repo in step with its zod source, valid OpenAPI
 * 3.1 (Redocly's linter, recommended-strict rules: nothing found), and a check built from it
 * that does catch broken traffic.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supplierOpenApiText } from '../../src/supplier/openapi.js';
import { runCli } from '../helpers.js';
import { lintOpenApi } from '../support/openapi-lint.js';
import { CONTRACT_FILE, loadContract } from './contract.js';

const contract = loadContract();
const BASE = 'http://supplier.test';
const reserve = (headers: Record<string, string>, body: unknown) => ({
  method: 'POST',
  url: `${BASE}/supplier/reserve`,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const answer = (status: number, body: unknown, contentType = 'application/json') => ({
  status,
  contentType,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const RESERVE = { method: 'POST', url: `${BASE}/supplier/reserve` };
const STATUS = { method: 'GET', url: `${BASE}/supplier/status/R.order-1.X` };

describe('contracts/supplier.openapi.json', () => {
  it('is the document the zod contract builds (regenerate: warehouse supplier openapi > contracts/supplier.openapi.json)', () => {
    expect(readFileSync(CONTRACT_FILE, 'utf8')).toBe(supplierOpenApiText());
  });

  it('is what `warehouse supplier openapi` prints', async () => {
    const r = await runCli(['supplier', 'openapi']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(CONTRACT_FILE, 'utf8'));
  });

  it("passes Redocly's lint with the recommended-strict rules: no error, no warning", async () => {
    expect(await lintOpenApi(CONTRACT_FILE)).toEqual([]);
  });

  it('documents every answer kind of both operations, errors included', () => {
    const ops = contract.doc.paths;
    expect(Object.keys(ops['/supplier/reserve']!.post!.responses)).toEqual(['200', '400', '401', '422', '500', '503']);
    expect(Object.keys(ops['/supplier/status/{ref}']!.get!.responses)).toEqual(['200', '401', '404', '500', '503']);
  });
});

describe('the contract check built from the document', () => {
  it('accepts conforming requests and answers', () => {
    expect(contract.checkRequest(reserve({ 'idempotency-key': 'order-1' }, { sku: 'WIDGET', qty: 5 }))).toEqual([]);
    expect(contract.checkRequest({ method: 'GET', url: `${BASE}/supplier/status/R.order-1.WIDGET`, headers: {}, body: null })).toEqual([]);
    expect(contract.checkResponse(RESERVE, answer(200, { accepted: true, ref: 'R.1' }))).toEqual([]);
    expect(contract.checkResponse(RESERVE, answer(200, { accepted: false, ref: '' }))).toEqual([]);
    expect(contract.checkResponse(STATUS, answer(200, { status: 'delayed' }))).toEqual([]);
    expect(contract.checkResponse(STATUS, answer(503, { type: 'about:blank', title: 'Service Unavailable', status: 503 }, 'application/problem+json'))).toEqual(
      [],
    );
  });

  it.each([
    ['no Idempotency-Key', reserve({}, { sku: 'WIDGET', qty: 5 }), /header parameter Idempotency-Key is missing/],
    ['a key with a space', reserve({ 'idempotency-key': 'order 1' }, { sku: 'WIDGET', qty: 5 }), /Idempotency-Key must match pattern/],
    ['qty as a string', reserve({ 'idempotency-key': 'order-1' }, { sku: 'WIDGET', qty: '5' }), /request body\/qty must be integer/],
    ['a lower-case sku', reserve({ 'idempotency-key': 'order-1' }, { sku: 'widget', qty: 5 }), /request body\/sku must match pattern/],
    ['an extra field', reserve({ 'idempotency-key': 'order-1' }, { sku: 'WIDGET', qty: 5, note: 1 }), /must NOT have additional properties/],
    [
      'a form body',
      {
        ...reserve({ 'idempotency-key': 'order-1' }, 'sku=WIDGET'),
        headers: { 'idempotency-key': 'order-1', 'content-type': 'application/x-www-form-urlencoded' },
      },
      /content-type/,
    ],
    ['an unknown route', { method: 'DELETE', url: `${BASE}/supplier/reserve`, headers: {}, body: null }, /not an operation/],
  ])('catches a request with %s', (_what, req, message) => {
    expect(contract.checkRequest(req).join('\n')).toMatch(message);
  });

  it.each([
    ['accepted without a ref', RESERVE, answer(200, { accepted: true }), /must have required property 'ref'/],
    ['accepted as a string', RESERVE, answer(200, { accepted: 'yes', ref: 'R.1' }), /must be boolean|must be equal to constant/],
    ['an HTML body', RESERVE, answer(200, '<html>502 upstream garbage</html>', 'text/html'), /content-type "text\/html" is not documented/],
    ['status maybe', STATUS, answer(200, { status: 'maybe' }), /must be equal to one of the allowed values/],
    [
      'an undocumented status code',
      STATUS,
      answer(418, { type: 'about:blank', title: 'teapot', status: 418 }, 'application/problem+json'),
      /status 418 is not documented/,
    ],
    [
      'a problem without a title',
      RESERVE,
      answer(500, { type: 'about:blank', status: 500 }, 'application/problem+json'),
      /must have required property 'title'/,
    ],
  ])('catches an answer with %s', (_what, req, res, message) => {
    expect(contract.checkResponse(req, res).join('\n')).toMatch(message);
  });
});
