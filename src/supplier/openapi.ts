/**
 * The supplier contract as an OpenAPI 3.1 document, built from the zod schemas of
 * domain/supplier-contract.ts.
 * `warehouse supplier serve` serves it at /openapi.json; contracts/supplier.openapi.json is the
 * same document kept in the repository (`warehouse supplier openapi` prints it; a test fails when
 * the file is stale).
 */
import { z } from '../kit/zod.js';
import { contractRegistry, IDEMPOTENCY_KEY_PATTERN, PROBLEM_CONTENT_TYPE } from '../domain/supplier-contract.js';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const problem = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } } });

function componentSchemas(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(contractRegistry, { target: 'draft-2020-12', io: 'input', uri: (id) => `#/components/schemas/${id}` });
  // each component is a subschema of the document, not a document of its own
  return Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => [id, Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema' && k !== '$id'))]),
  );
}

const TRANSIENT = 'Transient: the engine retries the same call later, with the same Idempotency-Key (exponential backoff, 5 attempts by default).';

export function supplierOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Supplier reservation API',
      version: '1.0.0',
      summary: 'What the warehouse engine expects of a supplier (docs/design.md §5)',
      description: [
        'The engine asks a supplier to reserve stock it does not have, then checks the reservation until the supplier delivers, fails or keeps it waiting.',
        '',
        '- Every answer arrives within the client timeout (5 s by default) or counts as a transient failure.',
        '- Transient (retried with the same Idempotency-Key): HTTP 5xx, 408, 429, a network error, no answer in time, and a 200 whose body does not match its schema.',
        '- Final: any other 4xx; the order fails at once (`supplier_unavailable`; a 422 on reserve, the key used before with another body, `supplier_key_conflict`).',
        '- A bearer token is sent in `Authorization` when the engine has one (`--supplier-token`, `WAREHOUSE_SUPPLIER_TOKEN`).',
        '',
        '`warehouse supplier serve` implements this contract as a scripted mock; docs/supplier.md maps a real supplier onto it.',
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:4010', description: '`warehouse supplier serve`, the scripted mock' }],
    security: [{}, { bearerAuth: [] }],
    tags: [{ name: 'supplier', description: 'Reservations with a supplier that answers late' }],
    paths: {
      '/supplier/reserve': {
        post: {
          operationId: 'reserve',
          tags: ['supplier'],
          summary: 'Reserve stock with the supplier',
          description:
            'Idempotent on `Idempotency-Key`: the first final answer (accepted or rejected) is kept, and every later call with the same key gets it again, with the same ref. A transient failure (5xx, timeout, malformed body) is not an answer and binds nothing: the retry is answered afresh.',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description:
                'The same key on every reserve call for one order, retries included: the supplier answers a repeated key with its first final answer and ref, never with a second reservation.',
              schema: ref('IdempotencyKey'),
              // each operation's own example (not the schema's, which both would share): a generator
              // sending the examples must not reuse one key for two operations
              example: 'order-42',
            },
          ],
          // one example body, as the key has one: a generated request sent twice is a replay, not a 422
          requestBody: { required: true, content: { 'application/json': { schema: ref('ReserveRequest'), example: { sku: 'WIDGET', qty: 5 } } } },
          responses: {
            '200': { description: 'A final answer: accepted with a ref, or rejected.', content: { 'application/json': { schema: ref('ReserveAnswer') } } },
            '400': problem('The request breaks the contract (no Idempotency-Key, a body that is not a ReserveRequest). Final.'),
            '401': problem('A bearer token is required or wrong. Final.'),
            '422': problem('The Idempotency-Key was used before with another body. Final.'),
            '500': problem(`The supplier failed. ${TRANSIENT}`),
            '503': problem(`The supplier is unavailable. ${TRANSIENT}`),
          },
        },
      },
      '/supplier/status/{ref}': {
        get: {
          operationId: 'status',
          tags: ['supplier'],
          summary: 'Where an accepted reservation stands',
          description: 'Asked at each check (15 s after acceptance, then every 15 s while `delayed`, by default).',
          parameters: [{ name: 'ref', in: 'path', required: true, description: 'The ref of an accepted reservation, URL-encoded', schema: ref('Ref') }],
          responses: {
            '200': { description: 'ok, fail or delayed.', content: { 'application/json': { schema: ref('StatusAnswer') } } },
            '401': problem('A bearer token is required or wrong. Final.'),
            '404': problem('No accepted reservation has this ref. Final.'),
            '500': problem(`The supplier failed. ${TRANSIENT}`),
            '503': problem(`The supplier is unavailable. ${TRANSIENT}`),
          },
        },
      },
      '/supplier/cancel': {
        post: {
          operationId: 'cancel',
          tags: ['supplier'],
          summary: 'Cancel an accepted reservation (the engine no longer wants it)',
          description:
            "The engine's compensation when an order waiting on the supplier is cancelled. Idempotent: the first final answer (cancelled or too_late) is kept for the ref, and every later cancel gets it again. `too_late` means the goods come anyway: the engine books them to stock.",
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description: 'The same key on every cancel call for one order, retries included (the engine sends `cancel-order-<id>.<db>`).',
              // a schema of its own, so that its example is not the reserve call's key
              schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source, examples: ['cancel-order-42'] },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('CancelRequest'), example: { ref: 'R.order-42.WIDGET' } } } },
          responses: {
            '200': { description: 'A final answer: cancelled, or too late.', content: { 'application/json': { schema: ref('CancelAnswer') } } },
            '400': problem('The request breaks the contract (no Idempotency-Key, a body that is not a CancelRequest). Final.'),
            '401': problem('A bearer token is required or wrong. Final.'),
            '404': problem('No accepted reservation has this ref. Final.'),
            '500': problem(`The supplier failed. ${TRANSIENT}`),
            '503': problem(`The supplier is unavailable. ${TRANSIENT}`),
          },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'Only when the supplier requires one' } },
    },
  };
}

/** The document as it is written to contracts/supplier.openapi.json. */
export function supplierOpenApiText(): string {
  return `${JSON.stringify(supplierOpenApi(), null, 2)}\n`;
}
