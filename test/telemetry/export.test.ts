/**
 * Where spans go: the standard OTEL_* variables send them to an OTLP collector (here a tiny HTTP
 * server on port 0 that receives OTLP/HTTP, JSON or protobuf); settings we cannot honour are
 * refused with what to do instead; and with tracing off, OpenTelemetry is never even loaded.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTraceLines } from '../../src/telemetry/trace-file.js';
import { BIN, runCli, tempDir } from '../helpers.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A collector's OTLP/HTTP receiver, reduced to recording what it is sent. */
async function collector(): Promise<{ endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const json = req.headers['content-type']?.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const ORDER = ['order', 'create', '--sku', 'X', '--qty', '30', '--clock', 'virtual', '--supplier-status', 'delayed,ok'];

describe('export to a collector', () => {
  it('sends the spans as OTLP/HTTP JSON to OTEL_EXPORTER_OTLP_ENDPOINT, with its headers and resource', async () => {
    const { endpoint, received } = await collector();
    const r = await runCli(['--db', join(tempDir(), 'w.db'), ...ORDER], {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret',
        OTEL_SERVICE_NAME: 'shop-warehouse',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(received.length).toBeGreaterThan(0);
    for (const req of received) {
      expect(req.path).toBe('/v1/traces');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-api-key']).toBe('secret');
    }
    // a collector's JSON body is exactly what a trace file holds, one request per line
    const { spans } = parseTraceLines(received.map((q) => q.body.toString('utf8')).join('\n'));
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(spans.map((s) => s.name)).toEqual(
      expect.arrayContaining(['warehouse order create', 'process ReserveInventory', 'POST /supplier/reserve', 'tx reserved:supplier']),
    );
    expect(spans.filter((s) => s.name === 'process CheckSupplierStatus')).toHaveLength(2);
    expect(spans[0]!.resource).toMatchObject({ 'service.name': 'shop-warehouse', 'deployment.environment.name': 'test', 'warehouse.command': 'order create' });
  });

  it('sends OTLP/HTTP protobuf by default, and to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given', async () => {
    const { endpoint, received } = await collector();
    const r = await runCli(['--db', join(tempDir(), 'w.db'), ...ORDER], { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/custom/traces` } });
    expect(r.code, r.stderr).toBe(0);
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]!.path).toBe('/custom/traces');
    expect(received[0]!.headers['content-type']).toBe('application/x-protobuf');
    // protobuf keeps strings as they are: the span names are in the body
    const body = Buffer.concat(received.map((q) => q.body)).toString('latin1');
    expect(body).toContain('process ReserveInventory');
    expect(body).toContain('GET /supplier/status/{ref}');
  });

  it('writes both the trace file and the collector when both are asked for', async () => {
    const { endpoint, received } = await collector();
    const dir = tempDir();
    const r = await runCli(['--db', join(dir, 'w.db'), '--trace-file', join(dir, 't.jsonl'), ...ORDER], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    expect(r.code, r.stderr).toBe(0);
    const fromCollector = parseTraceLines(received.map((q) => q.body.toString('utf8')).join('\n'))
      .spans.map((s) => s.spanId)
      .sort();
    const { readFileSync } = await import('node:fs');
    const fromFile = parseTraceLines(readFileSync(join(dir, 't.jsonl'), 'utf8'))
      .spans.map((s) => s.spanId)
      .sort();
    expect(fromFile).toEqual(fromCollector);
  });

  it('refuses settings it cannot honour, saying what to use (exit 2)', async () => {
    const db = join(tempDir(), 'w.db');
    const grpc = await runCli(['--db', db, ...ORDER], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
    expect(grpc.code).toBe(2);
    expect(grpc.stderr).toBe(
      'error: OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http/protobuf or http/json (a collector takes both on port 4318)\n',
    );
    const console = await runCli(['--db', db, ...ORDER], { env: { OTEL_TRACES_EXPORTER: 'console' } });
    expect(console.code).toBe(2);
    expect(console.stderr).toMatch(/^error: OTEL_TRACES_EXPORTER=console is not supported: use otlp/);
    const dir = await runCli(['--db', db, '--trace-file', join(tempDir(), 'no', 'such', 't.jsonl'), ...ORDER]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/^error: the directory of the trace file does not exist: .*no\/such\. Create it or pass another --trace-file\n$/);
  });

  it('sends nothing when OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none says so', async () => {
    const { endpoint, received } = await collector();
    for (const off of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
      const r = await runCli(['--db', join(tempDir(), 'w.db'), ...ORDER], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...off } });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(received).toEqual([]);
  });
});

describe('tracing off', () => {
  /** Runs the CLI with a module hook that reports every @opentelemetry module resolved. */
  function loadedModules(args: string[]): Promise<{ code: number | null; loaded: string[] }> {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'hook.mjs'),
      `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('@opentelemetry')) process.stderr.write('loaded ' + r.url + '\\n'); return r; }\n`,
    );
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hook.mjs')}`)});\n`);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, '--db', join(dir, 'w.db'), ...args], {
        env: { ...process.env, WAREHOUSE_TRACE_FILE: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_TRACES_EXPORTER: undefined },
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.resume();
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, loaded: err.split('\n').filter((l) => l.startsWith('loaded ')) }));
    });
  }

  it('never loads OpenTelemetry: an order runs its whole flow without it', async () => {
    const off = await loadedModules(ORDER);
    expect(off.code).toBe(0);
    expect(off.loaded).toEqual([]);
    // the same hook does see it when tracing is on (so the check above can fail)
    const on = await loadedModules(['--trace-file', join(tempDir(), 't.jsonl'), ...ORDER]);
    expect(on.code).toBe(0);
    expect(on.loaded.length).toBeGreaterThan(0);
  });
});
