/**
 * Test support for the HTTP API: a real server on port 0, a fetch wrapper that checks every
 * response against GET /openapi.json (the status is declared for the route, the content type is
 * the declared one, and the body parses with the zod schema the document was generated from),
 * row counts for "nothing was stored", and waiting on bus events instead of time.
 */
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { z } from 'zod';
import type { OrderStatus } from '../../src/domain/order.js';
import * as s from '../../src/http/schemas.js';
import { parseDatabase } from '../../src/config.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/http/server.js';
import { groupCommit, tempDb } from '../helpers.js';

export interface TestServer extends RunningServer {
  db: string;
  call(method: string, path: string, init?: CallInit): Promise<Reply>;
}

export interface CallInit {
  /** a value sent as JSON */
  json?: unknown;
  /** a raw body (with `contentType`, default application/json) */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** The zod schema of each documented success response; every error is a Problem. */
const SUCCESS: Record<string, z.ZodType> = {
  'POST /api/order 201': s.orderSchema,
  'POST /api/orders 201': s.orderSchema,
  'GET /api/orders/{id} 200': s.orderWithTimelineSchema,
  'GET /api/orders 200': s.orderPageSchema,
  'GET /api/inventory/{sku} 200': s.inventorySchema,
  'GET /api/inventory/{sku}/movements 200': s.movementPageSchema,
  'PUT /api/inventory/{sku} 200': s.inventorySchema,
  'POST /api/inventory/{sku}/restock 200': s.inventorySchema,
  'GET /healthz 200': s.healthSchema,
};

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

function templateOf(doc: OpenApiDoc, path: string): string | undefined {
  const bare = path.split('?')[0]!;
  return Object.keys(doc.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
}

/** Every response: declared status, declared content type, body valid against its schema. */
export function checkAgainstOpenApi(doc: OpenApiDoc, method: string, path: string, reply: Reply): void {
  const template = templateOf(doc, path);
  if (!template) {
    // not a documented route: only the generic 404 problem may come back, or the router's 400
    // for a path it cannot decode at all
    const undecodable = (() => {
      try {
        decodeURIComponent(path.split('?')[0]!);
        return false;
      } catch {
        return true;
      }
    })();
    expect(reply.status, `${method} ${path}`).toBe(undecodable ? 400 : 404);
    s.problemSchema.parse(reply.body);
    return;
  }
  const operation = doc.paths[template]![method.toLowerCase()];
  if (!operation) {
    // a method the path does not have: 405 naming the ones it has; OPTIONS lists them
    expect(reply.status, `${method} ${path}: undocumented method`).toBe(method === 'OPTIONS' ? 204 : 405);
    expect(reply.headers.get('allow'), `${method} ${path}: Allow`).toMatch(/OPTIONS/);
    if (method !== 'OPTIONS') s.problemSchema.parse(reply.body);
    return;
  }
  const declared = operation.responses[String(reply.status)];
  expect(declared, `${method} ${template} answered ${reply.status}, which the OpenAPI document does not declare`).toBeDefined();
  const type = (reply.headers.get('content-type') ?? '').split(';')[0]!;
  if (declared!.content) expect(Object.keys(declared!.content), `${method} ${template} ${reply.status} content type`).toContain(type);
  if (reply.status >= 400) {
    expect(type).toBe('application/problem+json');
    const p = s.problemSchema.parse(reply.body);
    expect(p.status).toBe(reply.status);
    expect(reply.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/); // never a stack trace
    return;
  }
  const schema = SUCCESS[`${method} ${template} ${reply.status}`];
  if (schema) {
    const result = schema.safeParse(reply.body);
    expect(result.success, `${method} ${template} ${reply.status}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
  }
}

export async function testServer({ db: given, ...options }: ServerOptions & { db?: string } = {}): Promise<TestServer> {
  const db = given ?? tempDb();
  // WAREHOUSE_GROUP_COMMIT=0 runs the HTTP suites with one transaction per write, as test/helpers.ts's engines
  const parsed = parseDatabase(db);
  const database = parsed.kind === 'sqlite' ? { ...parsed, groupCommit: groupCommit() } : db;
  const server = await startServer({ port: 0, logLevel: 'silent', database, ...options });
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDoc;
  const call = async (method: string, path: string, init: CallInit = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) body = JSON.stringify(init.json);
    if (init.raw !== undefined) body = init.raw;
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = init.contentType ?? 'application/json';
    const res = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const reply: Reply = { status: res.status, headers: res.headers, text, body: parsed };
    checkAgainstOpenApi(doc, method, path, reply);
    return reply;
  };
  return Object.assign(server, { db, call });
}

/** Rows per table, read through a separate connection. */
export function rowCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = ['orders', 'order_events', 'jobs', 'movements', 'inventory', 'dead_letters', 'idempotency_keys'];
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/**
 * Records every order transition from now on; `reached(id, status)` resolves as soon as the order
 * has reached it (already, or later). Start it before the request, since a job may settle the
 * order before the response is read.
 */
export function recordTransitions(server: RunningServer) {
  const seen = new Map<number, OrderStatus[]>();
  const waiters: Array<{ id: number; status: OrderStatus; resolve: () => void }> = [];
  const off = server.warehouse.bus.on('order:transition', (t) => {
    seen.set(t.orderId, [...(seen.get(t.orderId) ?? []), t.to]);
    for (const w of waiters.filter((w) => w.id === t.orderId && w.status === t.to)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    seen,
    reached(id: number, status: OrderStatus): Promise<void> {
      if (seen.get(id)?.includes(status)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ id, status, resolve }));
    },
    stop: off,
  };
}
