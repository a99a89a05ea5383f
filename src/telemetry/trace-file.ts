/**
 * Reading a trace file: OTLP JSON lines (one ExportTraceServiceRequest per line, as
 * `--trace-file` writes them and as the OpenTelemetry Collector's file exporter does) into plain
 * span records, and picking out the traces of one order (the spans that carry its
 * `warehouse.order.id`, and every other span of their traces). Pure: no OpenTelemetry needed.
 */

export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface SpanEventRecord {
  name: string;
  /** epoch ms (µs precision) */
  at: number;
  attributes: Record<string, unknown>;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** null for the first span of a trace (or of a process's part of it) */
  parentSpanId: string | null;
  name: string;
  kind: SpanKindName;
  /** epoch ms (µs precision) */
  start: number;
  end: number;
  attributes: Record<string, unknown>;
  events: SpanEventRecord[];
  links: Array<{ traceId: string; spanId: string }>;
  status: 'unset' | 'ok' | 'error';
  statusMessage: string | null;
  /** the resource of the process that recorded it (service.name, process.pid, warehouse.command) */
  resource: Record<string, unknown>;
  /** its position in the file(s): ties in time are shown in the order spans were written */
  seq: number;
}

/** The span event that records an order's state change (src/app/tracing.ts). */
export const TRANSITION_EVENT = 'order.transition';

/**
 * A span's events in time order, a state change after the other events of its instant: the
 * events of one write come first, then the state change they caused, as every other timeline of
 * the product shows them. (Files written before that order was kept have the change first.)
 */
function causesFirst(events: SpanEventRecord[]): SpanEventRecord[] {
  const rank = (e: SpanEventRecord) => (e.name === TRANSITION_EVENT ? 1 : 0);
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || rank(a.e) - rank(b.e) || a.i - b.i)
    .map(({ e }) => e);
}

export interface TraceFileContents {
  spans: SpanRecord[];
  /** lines that were not OTLP JSON (a line still being written by another process, say) */
  skipped: number;
}

const KINDS: SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}

function anyValueOf(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValueOf);
  if (v.kvlistValue) return attributesOf(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValueOf(kv.value);
  return out;
}

/** OTLP's nanoseconds (a decimal string in JSON) as epoch ms, to the microsecond. */
const nanosToMs = (n: string | number | undefined): number => (n === undefined ? 0 : Number(BigInt(n) / 1000n) / 1000);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  events?: Array<{ timeUnixNano?: string | number; name: string; attributes?: KeyValue[] }>;
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number; message?: string };
}
interface OtlpRequest {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

/** The spans of a trace file's text (several files: concatenate them). */
export function parseTraceLines(text: string): TraceFileContents {
  const spans: SpanRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let request: OtlpRequest;
    try {
      request = JSON.parse(line) as OtlpRequest;
      if (!Array.isArray(request.resourceSpans)) throw new Error('no resourceSpans');
    } catch {
      skipped++;
      continue;
    }
    for (const rs of request.resourceSpans ?? []) {
      const resource = attributesOf(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          if (typeof s.traceId !== 'string' || typeof s.spanId !== 'string') continue;
          spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || null,
            name: s.name,
            kind: KINDS[s.kind ?? 0] ?? 'unspecified',
            start: nanosToMs(s.startTimeUnixNano),
            end: nanosToMs(s.endTimeUnixNano),
            attributes: attributesOf(s.attributes),
            events: causesFirst((s.events ?? []).map((e) => ({ name: e.name, at: nanosToMs(e.timeUnixNano), attributes: attributesOf(e.attributes) }))),
            links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
            status: s.status?.code === 2 ? 'error' : s.status?.code === 1 ? 'ok' : 'unset',
            statusMessage: s.status?.message || null,
            resource,
            seq: spans.length,
          });
        }
      }
    }
  }
  return { spans, skipped };
}

/** The ids of the traces an order appears in, oldest first, and their spans. */
export function tracesOfOrder(spans: SpanRecord[], orderId: number): Array<{ traceId: string; spans: SpanRecord[] }> {
  const ids = new Set(spans.filter((s) => Number(s.attributes['warehouse.order.id']) === orderId).map((s) => s.traceId));
  const traces = [...ids].map((traceId) => ({ traceId, spans: spans.filter((s) => s.traceId === traceId) }));
  const first = (t: { spans: SpanRecord[] }) => Math.min(...t.spans.map((s) => s.start));
  return traces.sort((a, b) => first(a) - first(b));
}
