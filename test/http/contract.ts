/**
 * A schema-driven client: requests generated from the OpenAPI document alone, and a check of each
 * answer against the same document (status declared, media type declared, body valid against its
 * schema with ajv, every declared required header present and valid, no undeclared header).
 *
 * Generation, per operation: every query or header parameter and body property takes each value
 * its schema singles out (examples, const, enum members, default, minimum and maximum); one request per
 * value, the others at their first value; optional ones also left out. A path parameter names a
 * resource, so it takes only the document's examples (the maximum id names no order). A body
 * that is one of several schemas (`oneOf`, e.g. one per clock action) is generated for each of
 * them. The same request is sent once (a retry of one dead letter succeeds once). `invalid` makes one request per
 * bound crossed (maximum + 1, minimum - 1, an unknown body property, no token), which the
 * document must answer with a declared 4xx.
 *
 * An answer is read whole, except a `text/event-stream`, which never ends: it is read up to its
 * first event, then closed (`readAnswer`), and that much is checked like any other body.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Generated {
  operationId: string;
  method: string;
  /** path and query, encoded */
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  /** what it exercises, for messages */
  note: string;
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Json;
  example?: unknown;
  /** OpenAPI's named examples (`{name: {value}}`), where a parameter has several */
  examples?: Record<string, { value: unknown }>;
}

/** the values a schema singles out, first the most ordinary */
function valuesOf(schema: Json, example?: unknown): unknown[] {
  const values: unknown[] = [];
  if (example !== undefined) values.push(example);
  if (Array.isArray(schema.examples)) values.push(...schema.examples);
  if ('const' in schema) values.push(schema.const);
  if (Array.isArray(schema.enum)) values.push(...schema.enum);
  if (schema.default !== undefined) values.push(schema.default);
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.minimum !== undefined) values.push(schema.minimum);
    if (schema.maximum !== undefined) values.push(schema.maximum);
  }
  if (values.length === 0) throw new Error(`the document gives no value to generate for ${JSON.stringify(schema)}: add examples`);
  return [...new Map(values.map((v) => [JSON.stringify(v), v])).values()];
}

/** the values a parameter singles out: its example(s), then its schema's */
function paramValues(p: Param): unknown[] {
  const named = Object.values(p.examples ?? {}).map((e) => e.value);
  return valuesOf({ ...p.schema, examples: [...named, ...((p.schema.examples as unknown[] | undefined) ?? [])] }, p.example);
}

/** values just outside a schema's bounds */
function outsideOf(schema: Json): Array<[unknown, string]> {
  const out: Array<[unknown, string]> = [];
  if (schema.type === 'integer' && schema.maximum !== undefined) out.push([schema.maximum + 1, `above its maximum ${schema.maximum}`]);
  if (schema.type === 'integer' && schema.minimum !== undefined) out.push([schema.minimum - 1, `below its minimum ${schema.minimum}`]);
  if (schema.type === 'string' && schema.maxLength !== undefined) out.push(['A'.repeat(schema.maxLength + 1), `longer than ${schema.maxLength}`]);
  return out;
}

const resolve = (doc: Json, node: Json): Json => (node?.$ref ? resolve(doc, pointer(doc, node.$ref)) : node);
function pointer(doc: Json, ref: string): Json {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((n: Json, k) => n[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
}

export function operations(doc: Json): Array<{ path: string; method: string; op: Json }> {
  return Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
    Object.entries(ops as Json).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Json })),
  );
}

function build(
  op: Json,
  template: string,
  method: string,
  params: Param[],
  chosen: Map<string, unknown>,
  body: unknown,
  note: string,
  token?: string,
): Generated {
  let path = template;
  const query: string[] = [];
  const headers: Record<string, string> = {};
  for (const p of params) {
    if (!chosen.has(p.name)) continue;
    const text = String(chosen.get(p.name));
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(text));
    else if (p.in === 'query') query.push(`${p.name}=${encodeURIComponent(text)}`);
    // a fresh key each time: the same key with another request is refused by design (422)
    else headers[p.name] = p.name === 'idempotency-key' ? randomUUID() : text;
  }
  if (token && Array.isArray(op.security) && op.security.length > 0) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { operationId: op.operationId, method, path: query.length ? `${path}?${query.join('&')}` : path, headers, body, note };
}

/** the body schemas an operation takes: one, or each of a `oneOf`/`anyOf`; [undefined] when it takes no body */
function bodySchemas(doc: Json, op: Json): Array<Json | undefined> {
  if (!op.requestBody) return [undefined];
  const schema = resolve(doc, op.requestBody.content['application/json'].schema);
  const branches = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
  return branches ? branches.map((b) => resolve(doc, b)) : [schema];
}

/** a body with only its required properties, each at its first value */
const requiredBody = (schema: Json | undefined) =>
  schema
    ? Object.fromEntries(
        Object.entries((schema.properties ?? {}) as Json)
          .filter(([k]) => schema.required?.includes(k))
          .map(([k, s]) => [k, valuesOf(s)[0]]),
      )
    : undefined;

/** the same request twice is one request (idempotency keys differ by design, and do not count) */
function once(requests: Generated[]): Generated[] {
  const seen = new Set<string>();
  return requests.filter((g) => {
    const { 'idempotency-key': _key, ...headers } = g.headers;
    const id = JSON.stringify([g.method, g.path, headers, g.body]);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Valid requests for every operation, writes first (so that reads find what they ask for). */
export function validRequests(doc: Json, token: string): Generated[] {
  const all = operations(doc).flatMap(({ path, method, op }) => {
    const params = (op.parameters ?? []) as Param[];
    const first = new Map(params.filter((p) => p.required).map((p) => [p.name, paramValues(p)[0]]));
    return bodySchemas(doc, op).flatMap((bodySchema) => {
      const props = Object.entries((bodySchema?.properties ?? {}) as Json);
      const firstBody = requiredBody(bodySchema);
      const out: Generated[] = [build(op, path, method, params, first, firstBody, 'required values only', token)];
      for (const p of params) {
        const values = p.in === 'path' ? paramValues(p).slice(0, 1) : paramValues(p);
        for (const v of values) out.push(build(op, path, method, params, new Map([...first, [p.name, v]]), firstBody, `${p.name}=${String(v)}`, token));
      }
      for (const [k, s] of props)
        for (const v of valuesOf(s)) out.push(build(op, path, method, params, first, { ...firstBody, [k]: v }, `body ${k}=${JSON.stringify(v)}`, token));
      return out;
    });
  });
  const order = (g: Generated) => (g.method === 'GET' ? 1 : 0);
  return once(all).sort((a, b) => order(a) - order(b));
}

/** Requests the document says are wrong: each must get a declared 4xx. */
export function invalidRequests(doc: Json, token: string): Generated[] {
  return operations(doc).flatMap(({ path, method, op }) => {
    const params = (op.parameters ?? []) as Param[];
    const first = new Map(params.filter((p) => p.required).map((p) => [p.name, paramValues(p)[0]]));
    const bodies = bodySchemas(doc, op);
    const out: Generated[] = [];
    for (const p of params)
      for (const [v, why] of outsideOf(p.schema))
        out.push(build(op, path, method, params, new Map([...first, [p.name, v]]), requiredBody(bodies[0]), `${p.name} ${why}`, token));
    for (const bodySchema of bodies) {
      const firstBody = requiredBody(bodySchema);
      for (const [k, s] of Object.entries((bodySchema?.properties ?? {}) as Json))
        for (const [v, why] of outsideOf(s)) out.push(build(op, path, method, params, first, { ...firstBody, [k]: v }, `body ${k} ${why}`, token));
      if (bodySchema?.additionalProperties === false)
        out.push(build(op, path, method, params, first, { ...firstBody, unknownField: 1 }, `an unknown body property (${JSON.stringify(firstBody)})`, token));
    }
    if (Array.isArray(op.security) && op.security.length > 0) out.push(build(op, path, method, params, first, requiredBody(bodies[0]), 'no bearer token'));
    return out;
  });
}

/** how long `readAnswer` waits for a stream's first event before it says so */
const FIRST_EVENT_MS = 5_000;

/**
 * The answer as the checks see it: the whole body, or for a `text/event-stream` (which never
 * ends) the text up to and including its first event (`event:` … blank line); then the stream
 * is closed. A stream with no event within FIRST_EVENT_MS is an error that says so.
 */
export async function readAnswer(res: Response): Promise<Answer> {
  const media = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (media !== 'text/event-stream' || !res.body) return { status: res.status, headers: res.headers, text: await res.text() };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const deadline = setTimeout(() => void reader.cancel(new Error('no event')), FIRST_EVENT_MS);
  try {
    while (!/(^|\n)event: [^\n]*\n(?:[^\n]+\n)*\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the event stream ended or sent no event within ${FIRST_EVENT_MS} ms: ${JSON.stringify(text)}`);
      text += value;
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => undefined);
  }
  return { status: res.status, headers: res.headers, text };
}

// ---------------------------------------------------------------- conformance

/** headers any HTTP answer may carry, which an API document does not list */
const TRANSPORT_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export function conformanceChecker(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const id = 'https://warehouse.invalid/openapi.json';
  ajv.addSchema({ ...doc, $id: id });
  const validate = (where: string, value: unknown) => {
    const fn = ajv.getSchema(`${id}#${where}`) ?? ajv.compile({ $ref: `${id}#${where}` });
    return fn(value) ? null : ajv.errorsText(fn.errors);
  };
  const esc = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

  /** every way `answer` departs from the document's operation; [] when it conforms */
  return function problems(template: string, method: string, answer: Answer): string[] {
    const base = `/paths/${esc(template)}/${method.toLowerCase()}/responses/${answer.status}`;
    const response = resolve(doc, doc.paths[template]?.[method.toLowerCase()]?.responses?.[String(answer.status)]);
    if (!response) return [`${method} ${template} answered ${answer.status}, which the document does not declare`];
    const found: string[] = [];
    const media = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (response.content) {
      if (!(media in response.content)) found.push(`content type ${media}, declared: ${Object.keys(response.content).join(', ')}`);
      else {
        let body: unknown = answer.text;
        if (media.endsWith('json')) body = JSON.parse(answer.text);
        const error = validate(`${base}/content/${esc(media)}/schema`, body);
        if (error) found.push(`body: ${error}`);
      }
    } else if (answer.text !== '') found.push('a body where the document declares none');
    const declared = Object.fromEntries(Object.entries((response.headers ?? {}) as Json).map(([name, h]) => [name.toLowerCase(), resolve(doc, h)]));
    for (const [name, h] of Object.entries(declared)) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (h.required) found.push(`required header ${name} missing`);
        continue;
      }
      const typed = h.schema?.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (!ajv.validate(h.schema, typed)) found.push(`header ${name}: ${JSON.stringify(value)} ${ajv.errorsText()}`);
    }
    answer.headers.forEach((_v, name) => {
      if (!TRANSPORT_HEADERS.has(name) && !(name in declared)) found.push(`header ${name} is sent but not declared`);
    });
    return found;
  };
}
