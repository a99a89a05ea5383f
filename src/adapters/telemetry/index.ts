/**
 * `startOtelTracing(plan)`: the OpenTelemetry SDK set up for what src/wiring/tracing.ts decided
 * (a trace file, an OTLP collector, exporters a test hands in). Imported only when tracing is on.
 */
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { Tracing } from '../../ports/tracing.js';
import type { TracingPlan } from '../../ports/tracing.js';
import { FileSpanExporter } from './file-exporter.js';
import { createOtelTracing } from './otel.js';

export async function startOtelTracing(plan: TracingPlan): Promise<Tracing> {
  const spanProcessors: SpanProcessor[] = [];
  // batched (OTEL_BSP_* apply): a span costs a push onto an array until the batch is written
  if (plan.file) spanProcessors.push(new BatchSpanProcessor(new FileSpanExporter(plan.file)));
  if (plan.otlp) {
    const { url, protocol } = plan.otlp;
    const { OTLPTraceExporter } =
      protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  // a test's exporters see each span as it ends
  for (const exporter of plan.exporters) spanProcessors.push(new SimpleSpanProcessor(exporter as SpanExporter));
  const resource = resourceFromAttributes({
    'service.name': 'warehouse',
    'service.version': '0.1.0',
    'process.pid': process.pid,
    ...(plan.command ? { 'warehouse.command': plan.command } : {}),
  }).merge(detectResources({ detectors: [envDetector] })); // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
  return createOtelTracing({ resource, spanProcessors });
}
