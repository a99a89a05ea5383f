/**
 * How times read in human output. A `+` time always means one thing: the time since the order
 * was created (`+15.021s`). `order create`, `order show`, `work` and `simulate --timeline` print
 * every event with it, and the times inside an event's data (`nextCheckAt`, `retryAt`) are
 * written the same way, so `next check at +15.021s` on a line stamped `+0.021s` is due 15 s
 * later. The other column is a clock: UTC time of day in the CLI, time since the scenario's
 * start in the simulator (no `+`). Pure text, on the floor below the CLI and the simulator
 * (src/cli/render.ts, src/sim/report.ts), which both print timelines with it.
 */
import type { ChalkInstance } from 'chalk';

/** The header of the offset column. */
export const SINCE_CREATED = 'since created';

/** `ms` since the order's creation: `+15.021s`. */
export const sinceCreated = (ms: number) => `+${(ms / 1000).toFixed(3)}s`;

const TIME_KEYS: Record<string, string> = { nextCheckAt: 'next check at', retryAt: 'retry at' };

/**
 * An event's data as `k=v` pairs. Times in it (keys ending in `At`, in the same unit and origin
 * as `createdAt`) become offsets since the order's creation: `next check at +15.021s`.
 */
export function dataParts(data: Record<string, unknown>, createdAt: number): string[] {
  return Object.entries(data).map(([k, v]) => {
    if (k.endsWith('At') && typeof v === 'number') {
      const at = sinceCreated(v - createdAt);
      return k in TIME_KEYS ? `${TIME_KEYS[k]} ${at}` : `${k}=${at}`;
    }
    return `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`;
  });
}

/** dataParts on one line */
export const dataText = (data: Record<string, unknown>, createdAt: number): string => dataParts(data, createdAt).join(' ');

/** Human output fits this many columns (docs/design.md §9). */
export const WIDTH = 80;

/**
 * `head` followed by `parts` (each kept whole when it fits, else split at its spaces; a word still
 * wider than a line, such as a supplier ref, in pieces that fill one), wrapped at `width` visible
 * columns; continuation lines start with `indent` spaces. Colour codes do not count.
 */
export function wrapParts(head: string, parts: string[], indent: number, width = WIDTH): string[] {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const room = Math.max(10, width - indent);
  const pieces = (w: string) => (visible(w) <= room || visible(w) !== w.length ? [w] : (w.match(new RegExp(`.{1,${room}}`, 'g')) ?? [w]));
  const tokens = parts.flatMap((p) => (visible(p) <= room ? [p] : p.split(' ').flatMap(pieces)));
  const lines: string[] = [];
  let line = head;
  let fresh = visible(head) <= indent;
  for (const t of tokens) {
    if (!fresh && visible(line) + 1 + visible(t) > width) {
      lines.push(line);
      line = ' '.repeat(indent);
      fresh = true;
    }
    line = fresh ? `${line.padEnd(indent)}${t}` : `${line} ${t}`;
    fresh = false;
  }
  lines.push(line);
  return lines.map((l) => l.trimEnd());
}

/** The words of a sentence for wrapParts; `+15 s` stays together. */
export const words = (text: string): string[] => text.split(/ (?!s(?:[\s),.;:]|$))/).filter(Boolean);

/**
 * An event's name, coloured by what it means for the order: reserved green, failed or dead red,
 * the supplier's trouble yellow, everything else cyan. The one colouring of events in the CLI and
 * the simulator.
 */
export function eventName(type: string, c: ChalkInstance): string {
  if (type === 'OrderReserved') return c.green(type);
  if (type === 'OrderFailed' || type === 'JobDeadLettered') return c.red(type);
  if (type === 'SupplierCallFailed') return c.yellow(type);
  return c.cyan(type);
}
