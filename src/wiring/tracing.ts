/**
 * Whether to trace, and where to: decided here from the options and the environment, without
 * loading OpenTelemetry. Tracing is off unless one of these asks for it:
 * - a trace file (`--trace-file f.jsonl`, env WAREHOUSE_TRACE_FILE): OTLP JSON lines;
 * - an OTLP collector, the standard way: OTEL_EXPORTER_OTLP_ENDPOINT (or
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or OTEL_TRACES_EXPORTER=otlp (then localhost:4318);
 *   OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL `http/protobuf` (default) or `http/json`; the exporter
 *   reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION itself; OTEL_TRACES_EXPORTER=none
 *   and OTEL_SDK_DISABLED=true turn the collector export off (not an explicit trace file);
 * - exporters handed in by a test.
 * Off, the engine gets NO_TRACING and OpenTelemetry is never imported.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../domain/errors.js';
import { NO_TRACING, type Tracing, type TracingPlan } from '../ports/tracing.js';

export type { TracingPlan } from '../ports/tracing.js';

export interface TracingConfig {
  /** append spans to this file as OTLP JSON lines */
  file?: string;
  /** the environment the OTEL_* variables are read from (default: process.env) */
  env?: NodeJS.ProcessEnv;
  /** what this process is (`serve`, `work`, `order create`): on every span's resource as `warehouse.command` */
  command?: string;
  /** span exporters of the SDK (sdk-trace-base's SpanExporter), each fed span by span: tests use InMemorySpanExporter */
  exporters?: unknown[];
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/** The OTLP export the standard OTEL_* variables ask for, or null. */
export function otlpFromEnv(env: NodeJS.ProcessEnv): TracingPlan['otlp'] {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of exporters) {
    if (name !== 'otlp' && name !== 'none') {
      throw new UsageError(
        `OTEL_TRACES_EXPORTER=${name} is not supported: use otlp (with OTEL_EXPORTER_OTLP_ENDPOINT) or none; for a local look, --trace-file f.jsonl and \`warehouse trace\``,
      );
    }
  }
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const wanted = exporters.length > 0 ? exporters.includes('otlp') && !exporters.includes('none') : Boolean(specific || generic);
  if (!wanted) return null;
  const url = specific || `${(generic || 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`the OTLP endpoint ${JSON.stringify(url)} is not a URL; set OTEL_EXPORTER_OTLP_ENDPOINT to one such as http://localhost:4318`);
  }
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new UsageError(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf or http/json (a collector takes both on port 4318)`);
  }
  return { url, protocol: protocol as (typeof PROTOCOLS)[number] };
}

/** What `openTracing` would set up; throws a UsageError for a setting it cannot honour. */
export function planTracing(config: TracingConfig = {}): TracingPlan | null {
  const env = config.env ?? process.env;
  const file = config.file?.trim() || null;
  if (file !== null && !existsSync(dirname(resolve(file)))) {
    throw new UsageError(`the directory of the trace file does not exist: ${dirname(resolve(file))}. Create it or pass another --trace-file`);
  }
  const otlp = otlpFromEnv(env);
  const exporters = config.exporters ?? [];
  if (file === null && otlp === null && exporters.length === 0) return null;
  return { file, otlp, exporters, command: config.command ?? null };
}

/** Tracing as configured: NO_TRACING (nothing loaded) unless something asks for spans. */
export async function openTracing(config: TracingConfig = {}): Promise<Tracing> {
  const plan = planTracing(config);
  if (!plan) return NO_TRACING;
  const { startOtelTracing } = await import('../adapters/telemetry/index.js');
  return startOtelTracing(plan);
}
