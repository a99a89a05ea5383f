/**
 * A counterexample as a class reads it: numbered steps in lanes (one column per order, and one
 * for stock counts and restocks), the crash marked where the process died, the broken rule named,
 * and one sentence that says what went wrong (explain.ts).
 */
import type { StepRecord, Violation } from './model.js';

/** the story fits 80 columns: number, lanes side by side, the marker */
const columns = (lanes: number) => Math.max(18, Math.floor((80 - 9) / lanes) - 2);

/** Lanes in the order they first act. */
export function lanesOf(steps: readonly StepRecord[]): string[] {
  return [...new Set(steps.map((s) => s.lane))];
}

const fit = (text: string, width: number) => (text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`);

/** Wraps `text` into lines of at most `width`. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => fit(l, width));
}

export function storyLines(v: Violation, mark?: number): string[] {
  const lanes = lanesOf(v.run.steps);
  const col = (lane: string) => lanes.indexOf(lane);
  const WIDTH = columns(lanes.length);
  const out = [`      ${lanes.map((l) => fit(l === 'stock' ? 'stock' : `order ${l}`, WIDTH)).join('  ')}`.trimEnd()];
  for (const s of v.run.steps) {
    const text = wrap(s.text, WIDTH);
    text.forEach((t, i) => {
      const num = i === 0 ? `${String(s.n).padStart(3)}. ` : '     ';
      const pad = ' '.repeat((WIDTH + 2) * col(s.lane));
      const arrow = i === 0 && s.n === mark ? '  ◀' : '';
      out.push(`${num} ${pad}${t}`.trimEnd() + arrow);
    });
    if (v.run.crashedAfter === s.n) {
      out.push('      ✗ crash: the process dies; what it had not committed is lost. A new');
      out.push('        runner waits for the leases to expire and takes the jobs (process 2).');
    }
  }
  return out;
}

/** The counterexample as data, for the page that replays it step by step (GET /api/explore/story). */
export interface StoryData {
  scenario: string;
  file: string;
  variant: string;
  replay: string;
  invariant: string;
  message: string;
  why: string;
  lanes: string[];
  /** `saw`: the on-hand the lane read at the step (before the naive pause); `wrote`: the on-hand its write left */
  steps: Array<{ n: number; lane: string; text: string; process: number; saw: number | null; wrote: number | null }>;
  /** the step that broke the rule: highlighted, and where the check turns red */
  breaking: number;
  crashAfter: number | null;
}

export function storyData(o: {
  scenario: { name: string; file: string };
  variant: string;
  token: string;
  v: Violation;
  why: { sentence: string; step?: number };
}): StoryData {
  const { v } = o;
  const finding = v.run.findings[0]!;
  return {
    scenario: o.scenario.name,
    file: o.scenario.file,
    variant: o.variant,
    replay: o.token,
    invariant: finding.invariant,
    message: finding.message,
    why: o.why.sentence,
    lanes: lanesOf(v.run.steps),
    steps: v.run.steps.map((s) => ({ n: s.n, lane: s.lane, text: s.text, process: s.process, saw: s.facts.read ?? null, wrote: s.facts.onHandAfter ?? null })),
    breaking: o.why.step ?? v.run.steps.at(-1)?.n ?? 0,
    crashAfter: v.run.crashedAfter,
  };
}
