/**
 * `npm run openapi`: writes the API's OpenAPI document to docs/openapi.json (the copy kept in the
 * repository; test/http/openapi.test.ts fails when it differs from what the server serves).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDocument, documentText } from '../src/http/document.js';

const file = join(import.meta.dirname, '..', 'docs', 'openapi.json');
writeFileSync(file, documentText(await buildDocument()));
console.log(`wrote ${file}`);
