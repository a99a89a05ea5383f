/**
 * `warehouse trace <orderId> [--trace-file f]`: the order's traces from a trace file (OTLP JSON
 * lines, as `--trace-file` writes them), drawn as a waterfall that fits 80 columns; `--json` gives
 * the spans in the same order with their depth. Reads the file only: no database, no tracing.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import { parseTraceLines, tracesOfOrder, type SpanRecord } from '../../telemetry/trace-file.js';
import { formatDuration, layoutTrace, renderWaterfall } from '../../telemetry/waterfall.js';
import type { Ctx } from '../context.js';

const iso = (ms: number) => new Date(ms).toISOString();

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(`trace file ${file} does not exist; write one with --trace-file ${file} on the commands that create and run orders`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a directory; pass the trace file (OTLP JSON lines) with --trace-file`);
    throw new UsageError(`cannot read trace file ${file}: ${(error as Error).message}`);
  }
}

/** The processes a trace's spans came from: `serve (pid 12)`. */
function processes(spans: SpanRecord[]): string[] {
  const seen = new Map<string, string>();
  for (const s of spans) {
    const pid = s.resource['process.pid'];
    const key = `${String(s.resource['warehouse.command'] ?? s.resource['service.name'] ?? '?')}#${String(pid)}`;
    if (!seen.has(key))
      seen.set(key, `${String(s.resource['warehouse.command'] ?? s.resource['service.name'] ?? 'unknown')}${pid !== undefined ? ` (pid ${String(pid)})` : ''}`);
  }
  return [...seen.values()];
}

export async function trace(ctx: Ctx, [id]: string[], opts: Record<string, unknown>): Promise<number> {
  const orderId = numberFromText('orderId', id!, 'an order id is a whole number; see `warehouse order list`');
  const file = ctx.opts.traceFile;
  if (!file) throw new UsageError('no trace file: pass --trace-file <file> (the file spans were written to) or set WAREHOUSE_TRACE_FILE');
  const { spans, skipped } = parseTraceLines(readFile(file));
  if (skipped > 0 && spans.length === 0)
    throw new UsageError(`${file} holds no OTLP JSON lines (${skipped} other lines); is it a trace file written with --trace-file?`);
  const traces = tracesOfOrder(spans, orderId);
  if (traces.length === 0) {
    ctx.io.stderr.write(
      `error: no span of order #${orderId} in ${file} (${spans.length} spans there); were its commands run with --trace-file ${file}, or WAREHOUSE_TRACE_FILE set?\n`,
    );
    return 1;
  }

  if (ctx.opts.json) {
    ctx.json({
      orderId,
      traces: traces.map((t) => {
        const t0 = Math.min(...t.spans.map((s) => s.start));
        const t1 = Math.max(...t.spans.map((s) => s.end));
        return {
          traceId: t.traceId,
          start: iso(t0),
          durationMs: t1 - t0,
          processes: processes(t.spans),
          spans: layoutTrace(t.spans).map(({ span: s, depth }) => ({
            depth,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId,
            name: s.name,
            kind: s.kind,
            start: iso(s.start),
            offsetMs: s.start - t0,
            durationMs: s.end - s.start,
            status: s.status,
            statusMessage: s.statusMessage,
            attributes: s.attributes,
            events: s.events.map((e) => ({ name: e.name, at: iso(e.at), offsetMs: e.at - t0, attributes: e.attributes })),
            links: s.links,
            process: { command: s.resource['warehouse.command'] ?? null, pid: s.resource['process.pid'] ?? null },
          })),
        };
      }),
    });
    return 0;
  }

  const columns = ctx.io.stdout.isTTY && ctx.io.stdout.columns ? Math.min(ctx.io.stdout.columns, 160) : 80;
  traces.forEach((t, i) => {
    if (i > 0) ctx.say();
    const t0 = Math.min(...t.spans.map((s) => s.start));
    const t1 = Math.max(...t.spans.map((s) => s.end));
    ctx.say(`${ctx.c.bold(`order #${orderId}`)}  trace ${t.traceId}`);
    ctx.say(ctx.c.dim(`${formatDuration(t1 - t0)}, ${t.spans.length} spans from ${processes(t.spans).join(', ')}`));
    for (const line of renderWaterfall(t.spans, { width: columns, events: opts.events !== false, paint: ctx.c })) ctx.say(line.trimEnd());
  });
  return 0;
}
