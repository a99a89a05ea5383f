/**
 * `npm run openapi`: writes the OpenAPI documents kept in the repository — the API's
 * (docs/openapi.json; test/http/openapi.test.ts fails when it differs from what the server serves)
 * and the supplier contract (contracts/supplier.openapi.json, as `warehouse supplier openapi`
 * prints it; test/supplier/openapi.test.ts fails when it is stale).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { supplierOpenApiText } from '../src/supplier/openapi.js';
import { buildDocument, documentText } from '../src/http/document.js';

const root = join(import.meta.dirname, '..');
const documents: Array<[file: string, text: string]> = [
  [join(root, 'docs', 'openapi.json'), documentText(await buildDocument())],
  [join(root, 'contracts', 'supplier.openapi.json'), supplierOpenApiText()],
];
for (const [file, text] of documents) {
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
