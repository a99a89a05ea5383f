/**
 * The OpenAPI documents as request and client generators read them (Step CI, Schemathesis, Dredd,
 * openapi-generator): both the API's (docs/openapi.json) and the supplier contract's
 * (contracts/supplier.openapi.json).
 *
 * - Every operation and every parameter says what it is (`description`): a generated client or
 *   test carries it as its documentation, and a reader of a generated workflow has nothing else.
 * - No two operations share an example Idempotency-Key: a tool that sends the document's examples
 *   would send one key with two different requests, and the second is refused (422). And an
 *   operation that takes a key has an example body, so that a second run sends the same request
 *   again (a replay) rather than a generated one (422).
 * - An operation whose answer never ends (the event stream) is marked so that a generator can
 *   leave it out: the `streams` tag and `x-never-ends`, and nothing else is.
 */
import { describe, expect, it } from 'vitest';
import { supplierOpenApi } from '../../src/supplier/openapi.js';
import { buildDocument } from '../../src/http/document.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const resolve = (doc: Json, node: Json): Json =>
  node?.$ref
    ? resolve(
        doc,
        (node.$ref as string)
          .replace(/^#\//, '')
          .split('/')
          .reduce((n: Json, k) => n[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc),
      )
    : node;

interface Operation {
  name: string;
  op: Json;
  params: Json[];
}

function operationsOf(doc: Json): Operation[] {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({
        name: `${method.toUpperCase()} ${path} (${op.operationId})`,
        op,
        // path-level parameters apply to every operation of the path
        params: [...((item as Json).parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => resolve(doc, p)),
      })),
  );
}

/** every example value a parameter offers a generator: `example`, named `examples`, its schema's */
function examplesOf(doc: Json, param: Json): unknown[] {
  const schema = resolve(doc, param.schema ?? {});
  return [
    ...(param.example === undefined ? [] : [param.example]),
    ...Object.values((param.examples ?? {}) as Json).map((e) => resolve(doc, e).value),
    ...(schema.example === undefined ? [] : [schema.example]),
    ...((schema.examples as unknown[] | undefined) ?? []),
  ];
}

/** what a document lacks or shares, as sentences; [] when a generator finds everything it needs */
function generatorProblems(doc: Json): string[] {
  const problems: string[] = [];
  const keyOwners = new Map<string, string>();
  for (const { name, op, params } of operationsOf(doc)) {
    if (typeof op.description !== 'string' || op.description.trim() === '') problems.push(`${name} has no description`);
    for (const p of params) {
      if (typeof p.description !== 'string' || p.description.trim() === '') problems.push(`${name}: ${p.in} parameter ${p.name} has no description`);
      if (p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key' && op.requestBody) {
        // the same key with another body is refused: a generator must send the same body again
        // (an operation without a body, a cancel, is the same request by its path alone)
        const media = Object.values((op.requestBody?.content ?? {}) as Json);
        if (!media.some((m) => m.example !== undefined || Object.keys(m.examples ?? {}).length > 0))
          problems.push(`${name}: no example body to send with its key`);
        const examples = examplesOf(doc, p);
        if (examples.length === 0) problems.push(`${name}: Idempotency-Key has no example`);
        for (const key of examples.map(String)) {
          const owner = keyOwners.get(key);
          if (owner !== undefined && owner !== name) problems.push(`${name} shares the example Idempotency-Key ${key} with ${owner}`);
          keyOwners.set(key, name);
        }
      }
    }
    const streams = Object.values((op.responses ?? {}) as Json).some((r) => 'text/event-stream' in (resolve(doc, r).content ?? {}));
    const marked = op['x-never-ends'] === true;
    const tagged = ((op.tags ?? []) as string[]).includes('streams');
    if (streams !== marked || streams !== tagged || (streams && op.tags.length !== 1))
      problems.push(`${name}: an answer that never ends is marked x-never-ends and tagged streams (only), and nothing else is`);
  }
  return problems;
}

describe('the OpenAPI documents, as generators read them', () => {
  it("the API's: every operation and parameter described, an Idempotency-Key example of its own per operation, the stream marked", async () => {
    expect(generatorProblems(await buildDocument())).toEqual([]);
  });

  it("the supplier contract's: the same", () => {
    expect(generatorProblems(supplierOpenApi())).toEqual([]);
  });

  it('can fail: a missing description, a shared key, a key without an example body and an unmarked stream are each found', () => {
    const key = { name: 'Idempotency-Key', in: 'header', description: 'a key', schema: { type: 'string' }, example: 'k-1' };
    const requestBody = { content: { 'application/json': { schema: { type: 'object' } } } };
    const doc = {
      paths: {
        '/a': {
          post: { operationId: 'a', description: 'A', parameters: [key], requestBody, responses: { '201': { description: 'made' } } },
          put: { operationId: 'b', description: 'B', parameters: [{ ...key }], requestBody, responses: { '200': { description: 'set' } } },
        },
        '/b/{id}': {
          parameters: [{ name: 'id', in: 'path', schema: { type: 'integer' } }],
          get: { operationId: 'c', responses: { '200': { description: 'events', content: { 'text/event-stream': { schema: { type: 'string' } } } } } },
        },
      },
    };
    expect(generatorProblems(doc)).toEqual([
      'POST /a (a): no example body to send with its key',
      'PUT /a (b): no example body to send with its key',
      'PUT /a (b) shares the example Idempotency-Key k-1 with POST /a (a)',
      'GET /b/{id} (c) has no description',
      'GET /b/{id} (c): path parameter id has no description',
      'GET /b/{id} (c): an answer that never ends is marked x-never-ends and tagged streams (only), and nothing else is',
    ]);
  });
});
