/**
 * The OpenAPI lint helper the document tests use can fail: on a document with what Redocly's
 * recommended rules only warn about, the strict ruleset reports errors, and names them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { lintOpenApi } from './openapi-lint.js';

/** valid OpenAPI 3.1, but no servers, no license, and an operation without a 4xx answer */
const FLAWED = {
  openapi: '3.1.0',
  info: { title: 't', version: '1', description: 'd' },
  paths: {
    '/ping': {
      get: {
        operationId: 'ping',
        summary: 'ping',
        description: 'd',
        security: [],
        responses: { '200': { description: 'ok', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
  },
};

describe('lintOpenApi', () => {
  it('reports what the recommended rules warn about as errors under recommended-strict', async () => {
    const file = join(tempDir(), 'flawed.json');
    writeFileSync(file, JSON.stringify(FLAWED));
    const strict = await lintOpenApi(file);
    expect(strict).toContainEqual(expect.stringMatching(/^error operation-4xx-response: /));
    expect(strict.every((p) => p.startsWith('error '))).toBe(true);
    const recommended = await lintOpenApi(file, 'recommended');
    expect(recommended).toContainEqual(expect.stringMatching(/^warn operation-4xx-response: /));
  });
});
