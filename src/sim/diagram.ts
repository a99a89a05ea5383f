/**
 * A Mermaid sequence diagram of one replay, for pasting into Markdown. Participants: client (the
 * scenario's steps), API (the engine's front: orders and stock), queue (the durable job queue),
 * job (a running job), supplier (the mock). A note marks each moment virtual time moves on.
 * Bursts are drawn for their first MAX_ORDERS orders only, so a diagram stays readable.
 */
import type { Outcome, SimEvent } from './model.js';

export const MAX_ORDERS = 8;

/** Scenario time, as in --timeline's clock column: no `+` (that sign means "since the order's creation"). */
const at = (ms: number) => `time ${ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3)}s`}`;
/** Mermaid reads `;` as a statement end and `#` as an entity: keep message text plain. */
const plain = (s: string) =>
  s
    .replace(/[;#]/g, ' ')
    .replace(/[\r\n]+/g, ' ')
    .trim();

function lines(e: SimEvent): string[] {
  const d = e.data;
  const who = e.label;
  const nextAt = (k: string) => (typeof d[k] === 'number' ? at(d[k] as number) : '?');
  switch (e.type) {
    case 'OrderCreated':
      return [`API->>queue: ${who} stored pending, ReserveInventory queued`];
    case 'InventoryReserved':
      return d.source === 'supplier'
        ? [`Note over job: delivery of ${String(d.qty)} booked in and reserved for ${who}`]
        : [`queue->>job: ReserveInventory ${who}`, `Note over job: ${String(d.qty)} taken from stock, on-hand now ${String(d.onHandAfter)}`];
    case 'SupplierReservationRequested':
      return [
        `queue->>job: ReserveInventory ${who} (attempt ${String(d.attempt)})`,
        `Note over job: on-hand ${String(d.onHand)}, short by ${String(d.shortBy)}`,
        `job->>supplier: POST /supplier/reserve (${who})`,
      ];
    case 'SupplierReservationAccepted':
      return [`supplier-->>job: accepted`, `job->>queue: CheckSupplierStatus ${who} at ${nextAt('nextCheckAt')}`];
    case 'SupplierReservationRejected':
      return [`supplier-->>job: rejected`];
    case 'SupplierStatusChecked':
      return [
        `queue->>job: CheckSupplierStatus ${who} (check ${String(d.check)})`,
        `job->>supplier: GET /supplier/status (${who})`,
        `supplier-->>job: ${String(d.status)}`,
        ...(d.nextCheckAt !== undefined ? [`job->>queue: CheckSupplierStatus ${who} at ${nextAt('nextCheckAt')}`] : []),
      ];
    case 'SupplierCallFailed':
      return [
        `supplier--xjob: ${plain(String(d.kind ?? 'error'))} (${String(d.jobType)} ${who}, attempt ${String(d.attempt)})`,
        `job->>queue: retry at ${nextAt('retryAt')}`,
      ];
    case 'JobDeadLettered':
      return [`Note over queue: ${String(d.jobType)} ${who} dead-lettered after ${String(d.attempts)} attempts`];
    case 'OrderReserved':
      return [`job-->>API: ${who} reserved`];
    case 'OrderFailed':
      return [`job-->>API: ${who} failed (${String(d.reason ?? '')})`];
    default:
      return [`Note over job: ${who} ${e.type}`];
  }
}

export function mermaid(name: string, outcome: Outcome): string {
  const drawn = outcome.orders.slice(0, MAX_ORDERS);
  type Row = { at: number; rank: number; text: string[] };
  const rows: Row[] = outcome.steps.map((s, i) => ({ at: s.at, rank: i, text: [`client->>API: ${plain(s.text)}`] }));
  let rank = rows.length;
  for (const o of drawn) for (const e of o.events) rows.push({ at: e.at, rank: rank++, text: lines(e).map(plain) });
  rows.sort((a, b) => a.at - b.at || a.rank - b.rank);

  const out = ['sequenceDiagram', '    participant client', '    participant API', '    participant queue', '    participant job', '    participant supplier'];
  out.push(`    Note over client,supplier: ${plain(name)}`);
  let now: number | null = null;
  for (const r of rows) {
    if (r.at !== now) {
      now = r.at;
      out.push(`    Note over client,supplier: ${at(now)}`);
    }
    for (const t of r.text) out.push(`    ${t}`);
  }
  if (outcome.orders.length > drawn.length) out.push(`    Note over client,supplier: ${outcome.orders.length - drawn.length} more orders not drawn`);
  return out.join('\n');
}

/** A Markdown section per scenario, each with its diagram in a mermaid fence (and a link to its rendered SVG). */
export function diagramMarkdown(items: Array<{ name: string; file: string; outcome: Outcome; svg?: string }>): string {
  return items
    .map(
      (i) =>
        `## ${i.name}\n\n\`${i.file}\`\n\n\`\`\`mermaid\n${mermaid(i.name, i.outcome)}\n\`\`\`\n${i.svg ? `\nRendered: [${i.svg}](${encodeURI(i.svg)})\n` : ''}`,
    )
    .join('\n');
}

/** The SVG files next to `markdown` (flow.md: flow.svg, or flow-<scenario file>.svg for several). */
export function svgNames(markdown: string, files: string[]): string[] {
  const base = markdown.replace(/\.(md|markdown)$/i, '');
  const seen = new Map<string, number>();
  return files.map((f) => {
    if (files.length === 1) return `${base}.svg`;
    const stem = (f.split(/[\\/]/).pop() ?? 'scenario').replace(/\.ya?ml$/i, '');
    const n = (seen.get(stem) ?? 0) + 1;
    seen.set(stem, n);
    return `${base}-${stem}${n > 1 ? `-${n}` : ''}.svg`;
  });
}
