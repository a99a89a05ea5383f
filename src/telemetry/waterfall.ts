/**
 * A trace as a waterfall that fits a terminal (80 columns by default): one line per span, nested
 * under its parent, with its start since the trace began, a bar on the trace's time axis and its
 * duration; under a span, its events with their time (an order's state change right after the
 * events that caused it). Spans
 * that start together are shown in the order they ended up written, which for sequential work
 * is the order they ran (a virtual-time trace has many spans at the same instant).
 */
import { TRANSITION_EVENT, type SpanRecord } from './trace-file.js';

export interface Paint {
  dim(s: string): string;
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  blue(s: string): string;
}

export interface WaterfallRow {
  span: SpanRecord;
  depth: number;
}

/** Depth-first, children after their parent, siblings by start (then end, then file order). */
export function layoutTrace(spans: SpanRecord[]): WaterfallRow[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, SpanRecord[]>();
  for (const s of spans) {
    const parent = s.parentSpanId !== null && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  const byTime = (a: SpanRecord, b: SpanRecord) => a.start - b.start || a.end - b.end || a.seq - b.seq;
  const rows: WaterfallRow[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort(byTime)) {
      rows.push({ span: s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return rows;
}

/** `0.12ms`, `15.3ms`, `15.000s`, `2m05.0s`, `3h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 1_000) return `${ms.toFixed(1)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${((ms % 60_000) / 1000).toFixed(1).padStart(4, '0')}s`;
  return `${Math.floor(ms / 3_600_000)}h${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, '0')}m`;
}

const fit = (s: string, width: number) => (s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width));

function eventText(name: string, attributes: Record<string, unknown>): string {
  if (name === TRANSITION_EVENT) return `${String(attributes.from)} → ${String(attributes.to)}`;
  if (name === 'exception') return `! ${String(attributes['exception.message'] ?? '')}`;
  const details = Object.entries(attributes)
    .filter(([k]) => !/At$/.test(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return details ? `${name} ${details}` : name;
}

export interface WaterfallOptions {
  /** total width in columns (default 80, at least 60) */
  width?: number;
  /** show each span's events under it (default true) */
  events?: boolean;
  paint: Paint;
}

/** The waterfall's lines for one trace's spans. */
export function renderWaterfall(spans: SpanRecord[], opts: WaterfallOptions): string[] {
  const { paint: p } = opts;
  const width = Math.max(60, opts.width ?? 80);
  const OFFSET = 9;
  const DURATION = 9;
  const nameWidth = Math.floor((width - OFFSET - DURATION - 3) * 0.58);
  const barWidth = width - OFFSET - DURATION - 3 - nameWidth;
  const rows = layoutTrace(spans);
  if (rows.length === 0) return [];
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.end));
  const total = Math.max(t1 - t0, 1e-3);
  const cell = (t: number) => Math.min(barWidth - 1, Math.max(0, Math.floor(((t - t0) / total) * barWidth)));
  const colour = (s: SpanRecord) =>
    s.status === 'error'
      ? p.red
      : s.kind === 'server'
        ? p.cyan
        : s.kind === 'consumer'
          ? p.green
          : s.kind === 'client'
            ? p.yellow
            : s.kind === 'producer'
              ? p.magenta
              : p.blue;
  const offset = (t: number) => `+${formatDuration(t - t0)}`.padStart(OFFSET);

  const axis = `0${formatDuration(total).padStart(barWidth - 1)}`;
  let walled = false;
  const lines = [p.dim(`${'start'.padStart(OFFSET)} ${fit('span', nameWidth)} ${axis} ${'duration'.padStart(DURATION)}`)];
  for (const { span: s, depth } of rows) {
    const from = cell(s.start);
    const to = Math.max(from + 1, Math.min(barWidth, Math.ceil(((s.end - t0) / total) * barWidth)));
    const bar = ' '.repeat(from) + colour(s)(((s.end - s.start) / total) * barWidth < 0.5 ? '▏' : '█'.repeat(to - from)) + ' '.repeat(barWidth - to);
    const name = fit(`${'  '.repeat(depth)}${s.name}`, nameWidth);
    // in virtual time, work that took no time on the clock shows how long it really took, marked ~
    const wall = s.attributes['warehouse.wall_duration_ms'];
    const took =
      s.end - s.start === 0 && typeof wall === 'number'
        ? p.dim(`~${formatDuration(wall)}`.padStart(DURATION))
        : formatDuration(s.end - s.start).padStart(DURATION);
    if (s.end - s.start === 0 && typeof wall === 'number') walled = true;
    lines.push(`${p.dim(offset(s.start))} ${s.status === 'error' ? p.red(name) : name} ${bar} ${took}`);
    if (opts.events === false) continue;
    // an event's text runs on under the bars: it has no extent of its own
    for (const e of s.events)
      lines.push(`${p.dim(offset(e.at))} ${p.dim(fit(`${'  '.repeat(depth + 1)}· ${eventText(e.name, e.attributes)}`, width - OFFSET - 1).trimEnd())}`);
  }
  if (walled) lines.push(p.dim(`${' '.repeat(OFFSET)} ~ wall time of work that took no time on the (virtual) clock`));
  return lines;
}
