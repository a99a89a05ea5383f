/**
 * Spans to a file, as OTLP JSON lines: each export appends one line holding one
 * ExportTraceServiceRequest (the OTLP/HTTP JSON body a collector would receive; the format of the
 * OpenTelemetry Collector's file exporter). Appends are single writes to a file opened for
 * appending, so several processes may share one file: their lines never interleave.
 */
import { appendFileSync } from 'node:fs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const NEWLINE = new Uint8Array([0x0a]);

export class FileSpanExporter implements SpanExporter {
  constructor(readonly file: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    try {
      const body = JsonTraceSerializer.serializeRequest(spans);
      if (body && spans.length > 0) appendFileSync(this.file, Buffer.concat([body, NEWLINE]));
      done({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}

  async forceFlush(): Promise<void> {}
}
