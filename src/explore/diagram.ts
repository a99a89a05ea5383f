/**
 * `explore --diagram`: a counterexample as a Mermaid sequence diagram — one participant per lane,
 * the database and the supplier; each step an arrow, the crash a note across the lanes, the step
 * that broke the rule highlighted.
 */
import type { Violation } from './model.js';
import { lanesOf } from './story.js';

const safe = (text: string) => text.replace(/[;#]/g, ',').replace(/[<>]/g, '');

export function counterexampleMermaid(title: string, v: Violation, mark?: number): string {
  const lanes = lanesOf(v.run.steps);
  const id = (lane: string) => `L${lanes.indexOf(lane)}`;
  const lines = ['sequenceDiagram', `  title ${safe(title)}`];
  for (const l of lanes) lines.push(`  participant ${id(l)} as ${l === 'stock' ? 'stock' : `order ${safe(l)}`}`);
  lines.push('  participant DB as database', '  participant S as supplier');
  for (const s of v.run.steps) {
    const to = s.text.startsWith('asks the supplier') ? 'S' : 'DB';
    const arrow = `  ${id(s.lane)}->>${to}: ${s.n}. ${safe(s.text)}`;
    if (s.n === mark) lines.push('  rect rgb(255, 215, 215)', `  ${arrow}`, '  end');
    else lines.push(arrow);
    if (v.run.crashedAfter === s.n) lines.push(`  Note over ${id(lanes[0]!)},S: ✗ crash: uncommitted work lost, a new runner recovers`);
  }
  lines.push(`  Note over ${id(lanes[0]!)},S: ${safe(v.run.findings[0]!.invariant)} broken`);
  return lines.join('\n');
}
