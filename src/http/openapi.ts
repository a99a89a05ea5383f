/**
 * The OpenAPI 3.1 document (GET /openapi.json, and its copy in docs/openapi.json): generated from
 * the zod schemas the routes validate with, then completed here with what zod cannot say.
 *
 * - `documented(schema, json)`: a request schema whose zod form is a transform (a SKU is trimmed
 *   and upper-cased, a query `limit` is text turned into a number) is described by the JSON
 *   Schema a client should send: pattern, bounds, default, examples.
 * - `finishDocument`: servers, licence and tags; `x-never-ends` on an operation that answers a
 *   `text/event-stream` (generators of requests and tests should leave it out); the response
 *   headers the server sends (X-Request-Id on every answer, Location, Idempotent-Replayed,
 *   Retry-After, WWW-Authenticate, X-RateLimit-*, and the dashboard's Cache-Control,
 *   Content-Security-Policy and the like); and only the component schemas something refers to.
 *
 * test/http/openapi.test.ts lints the document (@redocly/cli, recommended-strict rules) and replays
 * requests generated from it against a real server, checking every answer against it;
 * test/http/openapi-generators.test.ts checks what generators need (descriptions, an example
 * Idempotency-Key of its own per operation, the stream marked).
 */
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { z } from 'zod';

type Json = Record<string, unknown>;

const documentedForms = new WeakMap<object, Json>();

/** Describe `schema` in the document as `json` instead of what zod would derive from it. */
export function documented<T extends z.ZodType>(schema: T, json: Json): T {
  documentedForms.set(schema, json);
  return schema;
}

const documentedExamples = new WeakMap<object, unknown[]>();

/** Give `schema` these examples in the document, even where zod leaves them out (the input form of a schema holding a transform). */
export function withExamples<T extends z.ZodType>(schema: T, examples: unknown[]): T {
  documentedExamples.set(schema, examples);
  return schema;
}

const zodToJsonConfig = {
  override(ctx: { zodSchema: object; jsonSchema: Json }) {
    const form = documentedForms.get(ctx.zodSchema);
    if (form) {
      for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
      Object.assign(ctx.jsonSchema, form);
      return;
    }
    const examples = documentedExamples.get(ctx.zodSchema);
    if (examples) ctx.jsonSchema.examples = examples;
    // what fastify-type-provider-zod's own override does for OpenAPI 3.1: no empty union branch
    if (Array.isArray(ctx.jsonSchema.anyOf)) ctx.jsonSchema.anyOf = (ctx.jsonSchema.anyOf as Json[]).filter((s) => Object.keys(s).length > 0);
  },
};

// ---------------------------------------------------------------- response headers

const header = (description: string, schema: Json, required = false) => ({ description, required, schema });

/** every response header the server sends, by name */
const HEADERS = {
  XRequestId: header(
    "this request's id: the client's X-Request-Id when short and plain, else a UUID; also the reqId of its log line",
    { type: 'string', pattern: '^[\\w.:-]{1,64}$' },
    true,
  ),
  Location: header('where the new order is', { type: 'string', format: 'uri-reference', examples: ['/api/orders/1'] }, true),
  IdempotentReplayed: header('present on a replay: this is the stored answer to an earlier request with the same Idempotency-Key', {
    type: 'string',
    enum: ['true'],
  }),
  RetryAfter: header('seconds to wait before trying again', { type: 'integer', minimum: 0 }, true),
  WwwAuthenticate: header('the auth scheme (Bearer), with error="invalid_token" when a token was sent', { type: 'string' }, true),
  XRateLimitLimit: header('requests allowed per window for this client', { type: 'integer', minimum: 0 }),
  XRateLimitRemaining: header('requests left in this window', { type: 'integer', minimum: 0 }),
  XRateLimitReset: header('seconds until the window resets', { type: 'integer', minimum: 0 }),
  CacheControl: header(
    'no-cache: the dashboard revalidates its files, so a reload after an upgrade gets the new ones; no-transform on the event stream',
    { type: 'string', enum: ['no-cache', 'no-cache, no-transform'] },
    true,
  ),
  ContentTypeOptions: header('nosniff: the file is only ever what its Content-Type says', { type: 'string', enum: ['nosniff'] }, true),
  ContentSecurityPolicy: header('the page may load scripts, styles, images and connections from this origin only', { type: 'string' }, true),
  ReferrerPolicy: header('no-referrer', { type: 'string', enum: ['no-referrer'] }, true),
  XAccelBuffering: header('no: a proxy (nginx) must pass each event on at once', { type: 'string', enum: ['no'] }, true),
} as const;
type HeaderId = keyof typeof HEADERS;
const NAMES: Record<HeaderId, string> = {
  XRequestId: 'X-Request-Id',
  Location: 'Location',
  IdempotentReplayed: 'Idempotent-Replayed',
  RetryAfter: 'Retry-After',
  WwwAuthenticate: 'WWW-Authenticate',
  XRateLimitLimit: 'X-RateLimit-Limit',
  XRateLimitRemaining: 'X-RateLimit-Remaining',
  XRateLimitReset: 'X-RateLimit-Reset',
  CacheControl: 'Cache-Control',
  ContentTypeOptions: 'X-Content-Type-Options',
  ContentSecurityPolicy: 'Content-Security-Policy',
  ReferrerPolicy: 'Referrer-Policy',
  XAccelBuffering: 'X-Accel-Buffering',
};

/** the headers of a success answer of these operations (the dashboard's files and its event stream) */
const SUCCESS_HEADERS: Record<string, HeaderId[]> = {
  dashboardPage: ['CacheControl', 'ContentTypeOptions', 'ContentSecurityPolicy', 'ReferrerPolicy'],
  dashboardFile: ['CacheControl', 'ContentTypeOptions'],
  streamEvents: ['CacheControl', 'XAccelBuffering'],
};

/** which headers an operation's answer with `status` carries */
function headersFor(operation: Json, status: string): HeaderId[] {
  const ids: HeaderId[] = ['XRequestId'];
  const idempotent = ((operation.parameters as Json[] | undefined) ?? []).some((p) => p.in === 'header' && p.name === 'idempotency-key');
  const createsOrder = String(operation.operationId).startsWith('createOrder');
  // a new order has a URL; a retried dead letter's new job has none (201 without Location)
  if (status === '201' && createsOrder) ids.push('Location');
  if (idempotent && status.startsWith('2')) ids.push('IdempotentReplayed');
  if (['409', '429', '503'].includes(status)) ids.push('RetryAfter');
  if (status === '401') ids.push('WwwAuthenticate');
  // order creation is rate limited: the limiter's headers are on what it counted (not on a 401)
  if (createsOrder && status !== '401') ids.push('XRateLimitLimit', 'XRateLimitRemaining', 'XRateLimitReset');
  if (status.startsWith('2')) ids.push(...(SUCCESS_HEADERS[String(operation.operationId)] ?? []));
  return ids;
}

// ---------------------------------------------------------------- the document

const SERVERS = [
  {
    url: 'http://{host}:{port}',
    description: '`warehouse serve` (its --host and --port)',
    variables: { host: { default: '127.0.0.1' }, port: { default: '3000' } },
  },
];

const TAGS = [
  { name: 'orders', description: 'Create orders and follow them to reserved or failed' },
  { name: 'inventory', description: "Stock on hand per SKU, and each SKU's ledger of movements" },
  { name: 'ops', description: 'Health, metrics and this document' },
  { name: 'jobs', description: 'The queue: due, running and parked jobs, dead letters, retry and resume' },
  {
    name: 'teaching',
    description: 'The live dashboard (docs/teaching.md): its page and files, the clock, the supplier scripts, the overview',
  },
  {
    name: 'streams',
    description:
      'Answers that never end (server-sent events): a client reads as long as it wants, then closes. Generators of requests or tests should leave these out, or read one event and close',
  },
];

/** every `$ref` target in `value` */
function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') into.add(v);
      else refsIn(v, into);
    }
  }
  return into;
}

/** an answer is a `text/event-stream`: it never ends */
const streams = (operation: Json) => Object.values(operation.responses as Record<string, Json>).some((r) => 'text/event-stream' in ((r.content as Json) ?? {}));

/** Completes the generated document (see the top of this file). */
export function finishDocument(doc: Json): Json {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      // a mark a tool can filter on: request generators (Step CI, Schemathesis) otherwise wait for an end that never comes
      if (streams(operation)) operation['x-never-ends'] = true;
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        response.headers = Object.fromEntries(headersFor(operation, status).map((id) => [NAMES[id], { $ref: `#/components/headers/${id}` }]));
      }
    }
  }
  const components = doc.components as Json & { schemas?: Record<string, unknown> };
  components.headers = HEADERS;
  // zod's registry yields an input and an output form of every named schema: keep the ones used,
  // and the ones those refer to
  const schemas = components.schemas ?? {};
  const kept = new Set<string>();
  let frontier = [...refsIn({ paths })];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const ref of frontier) {
      const name = ref.replace('#/components/schemas/', '');
      if (kept.has(name) || !(name in schemas)) continue;
      kept.add(name);
      next.push(...refsIn(schemas[name]));
    }
    frontier = next;
  }
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => kept.has(name)));
  return { openapi: doc.openapi, info: doc.info, servers: SERVERS, tags: TAGS, paths, components };
}

const transformObject = createJsonSchemaTransformObject({ zodToJsonConfig });

/** @fastify/swagger's options: the document's head, and the transforms above */
export const SWAGGER_OPTIONS: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'warehouse',
      version: '0.1.0',
      description:
        'Event-driven stock reservation: orders wait on a late-answering supplier, every step recorded. Errors are RFC 9457 application/problem+json. ' +
        'Writes need `Authorization: Bearer <token>` when the server has a token (WAREHOUSE_API_TOKEN). See docs/http.md.',
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'WAREHOUSE_API_TOKEN of the server' } } },
  },
  transform: createJsonSchemaTransform({ zodToJsonConfig }),
  transformObject: (input) => finishDocument(transformObject(input) as Json) as ReturnType<typeof transformObject>,
};
