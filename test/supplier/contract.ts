/**
 * Checks requests and answers against contracts/supplier.openapi.json with ajv (JSON Schema
 * 2020-12, as OpenAPI 3.1 uses): the operation must exist, its required parameters be there and
 * valid, the body match the request schema; an answer's status must be documented for its
 * operation, its content type be the documented one and its body match. Each check returns the
 * list of what is wrong ([] when it conforms), so a test can show every violation at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { ROOT } from '../helpers.js';

interface Parameter {
  name: string;
  in: 'header' | 'path' | 'query';
  required?: boolean;
  schema: object;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

export const CONTRACT_FILE = join(ROOT, 'contracts', 'supplier.openapi.json');

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}
export interface SeenResponse {
  status: number;
  contentType: string | null;
  body: string;
}

export function loadContract(doc: Document = JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as Document) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // the document is one schema resource, so "#/components/schemas/X" refs resolve inside it
  ajv.addSchema({ $id: 'contract', ...doc } as object);
  const cache = new Map<object, ValidateFunction>();
  const compile = (schema: object) => {
    let fn = cache.get(schema);
    if (!fn) {
      // resolve the subschema's refs against the document
      fn = ajv.compile({ $id: `s${cache.size}`, allOf: [rewrite(schema)] });
      cache.set(schema, fn);
    }
    return fn;
  };
  const rewrite = (schema: object): object => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"contract#/components/')) as object;
  const problems = (fn: ValidateFunction, value: unknown, what: string) =>
    fn(value) ? [] : (fn.errors ?? []).map((e) => `${what}${e.instancePath || ''} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`);

  /** the operation and path parameters for a method and a concrete path */
  function route(method: string, pathname: string): { op: Operation; params: Record<string, string> } | null {
    for (const [template, ops] of Object.entries(doc.paths)) {
      const names: string[] = [];
      const pattern = new RegExp(`^${template.replace(/\{([^}]+)\}/g, (_, n: string) => (names.push(n), '([^/]+)'))}$`);
      const m = pattern.exec(pathname);
      const op = ops[method.toLowerCase()];
      if (m && op) return { op, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    }
    return null;
  }

  return {
    doc,
    checkRequest(req: SeenRequest): string[] {
      const url = new URL(req.url);
      const found = route(req.method, url.pathname);
      if (!found) return [`${req.method} ${url.pathname} is not an operation of the contract`];
      const out: string[] = [];
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
      for (const p of found.op.parameters ?? []) {
        const value = p.in === 'header' ? headers[p.name.toLowerCase()] : p.in === 'path' ? found.params[p.name] : (url.searchParams.get(p.name) ?? undefined);
        if (value === undefined) {
          if (p.required) out.push(`${p.in} parameter ${p.name} is missing`);
          continue;
        }
        out.push(...problems(compile(p.schema), value, `${p.in} parameter ${p.name}`));
      }
      const body = found.op.requestBody;
      if (body) {
        const type = headers['content-type']?.split(';')[0]?.trim() ?? '';
        const media = body.content[type];
        if (!media) out.push(`request content-type ${JSON.stringify(type)} is not one of ${Object.keys(body.content).join(', ')}`);
        else if (req.body === null) {
          if (body.required) out.push('request body is missing');
        } else {
          let parsed: unknown;
          try {
            parsed = JSON.parse(req.body);
          } catch {
            return [...out, 'request body is not JSON'];
          }
          out.push(...problems(compile(media.schema), parsed, 'request body'));
        }
      }
      return out;
    },
    checkResponse(req: { method: string; url: string }, res: SeenResponse): string[] {
      const found = route(req.method, new URL(req.url).pathname);
      if (!found) return [`${req.method} ${req.url} is not an operation of the contract`];
      const documented = found.op.responses[String(res.status)];
      if (!documented) return [`status ${res.status} is not documented (documented: ${Object.keys(found.op.responses).join(', ')})`];
      const type = res.contentType?.split(';')[0]?.trim() ?? '';
      const media = documented.content?.[type];
      if (!media)
        return [`content-type ${JSON.stringify(type)} is not documented for ${res.status} (documented: ${Object.keys(documented.content ?? {}).join(', ')})`];
      let parsed: unknown;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        return [`the ${res.status} body is not JSON: ${JSON.stringify(res.body.slice(0, 60))}`];
      }
      return problems(compile(media.schema), parsed, `${res.status} body`);
    },
  };
}

export type Contract = ReturnType<typeof loadContract>;

/** A fetch that records each request the client sends and each answer it gets, then passes it on. */
export function recordingFetch(inner: typeof fetch = (...a) => fetch(...a)) {
  const seen: Array<{ request: SeenRequest; response: SeenResponse | null }> = [];
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = request.method === 'GET' ? null : await request.clone().text();
    const entry: { request: SeenRequest; response: SeenResponse | null } = {
      request: { method: request.method, url: request.url, headers: Object.fromEntries([...(request.headers as unknown as Iterable<[string, string]>)]), body },
      response: null,
    };
    seen.push(entry);
    const response = await inner(request);
    entry.response = { status: response.status, contentType: response.headers.get('content-type'), body: await response.clone().text() };
    return response;
  };
  return { fetch: wrapped as typeof fetch, seen };
}
