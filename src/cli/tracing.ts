/**
 * How each command is traced when tracing is on (`--trace-file`, WAREHOUSE_TRACE_FILE, the OTEL_*
 * collector): a bounded command is a span (`warehouse order create`), the first of the traces
 * of the orders it creates; a long-running one (`serve`, `work`) opens no span of its own, its
 * requests and job runs being spans of their orders' traces; and some are never traced: the
 * readers of traces and figures (`trace`, `stats`: `trace` reads the very file), the simulator
 * (thousands of orders on throw-away databases) and the mock supplier's service.
 */
import type { Tracing } from '../ports/tracing.js';
import type { Ctx } from './context.js';

export type CommandTracing = 'span' | 'engine' | 'off';

const ENGINE_ONLY = new Set(['serve', 'work']);
const UNTRACED = new Set(['trace', 'stats', 'simulate', 'supplier serve', 'supplier openapi']);

export const commandTracing = (path: string): CommandTracing => (UNTRACED.has(path) ? 'off' : ENGINE_ONLY.has(path) ? 'engine' : 'span');

/** Runs a command's action with tracing set up for it, and exports its spans before returning. */
export async function traced(ctx: Ctx, path: string, action: () => Promise<number>): Promise<number> {
  const how = commandTracing(path);
  if (how === 'off' || (!ctx.opts.traceFile && !wantsCollector(ctx.io.env))) return action();
  const { openTracing } = await import('../wiring/tracing.js');
  const tracing: Tracing = await openTracing({ file: ctx.opts.traceFile, env: ctx.io.env, command: path });
  ctx.tracing = tracing;
  try {
    if (how === 'engine') return await action();
    return await tracing.inSpan(`warehouse ${path}`, { attributes: { 'process.executable.name': 'warehouse', 'warehouse.command': path } }, async (span) => {
      const code = await action();
      span.setAttributes({ 'process.exit.code': code });
      if (code !== 0) span.fail(new Error(`exit code ${code}`));
      return code;
    });
  } finally {
    await tracing.shutdown();
  }
}

/** Cheap check before loading anything: could the OTEL_* variables ask for an export? */
function wantsCollector(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER);
}
