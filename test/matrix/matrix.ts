/**
 * The fault matrix (issue 18): every topology × fault that applies, the same checks in each cell,
 * and the table (faults down, topologies across) that docs/reliability.md keeps. The quick SQLite
 * cells run in `npm test` (test/matrix/sqlite.test.ts), the PostgreSQL and Redis ones in the
 * services project and `npm run soak -- --only matrix`.
 */
import { execFileSync } from 'node:child_process';
import { hostname, cpus } from 'node:os';
import { runCell, type CellResult } from './cell.js';
import { FAULTS, type Fault, type Machine } from './faults.js';
import { privatePg, type PrivatePg } from './pg-server.js';
import { TOPOLOGIES, topologyName, type Topology } from './topology.js';

function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root, and the tests do not run as root here';
  return null;
}

function redisUnavailable(): string | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'pipe' });
    return null;
  } catch {
    return 'no redis-server binary to start a private one';
  }
}

export interface MatrixRun {
  results: CellResult[];
  machine: Machine;
}

/** Runs the cells of `topologies` × `faults` one after another (each one's processes are its own). */
export async function runMatrix(topologies: Topology[], faults: Fault[] = FAULTS, log: (line: string) => void = () => {}): Promise<MatrixRun> {
  const needsPg = topologies.some((t) => t.db !== 'sqlite');
  let pg: PrivatePg | null = null;
  let pgWhy: string | null = null;
  if (needsPg) {
    const got = await privatePg();
    if (typeof got === 'string') pgWhy = got;
    else pg = got;
  }
  const machine: Machine = { pg: pgWhy, redis: redisUnavailable(), tmpfs: tmpfsUnavailable() };
  const results: CellResult[] = [];
  try {
    for (const fault of faults) {
      for (const t of topologies) {
        if (t.db !== 'sqlite' && pgWhy && fault.na(t, machine) === null) {
          results.push({ topology: t, fault, status: 'n/a', note: pgWhy, problems: [], seconds: 0 });
          continue;
        }
        const r = await runCell(t, fault, { machine, pg });
        log(`${r.status.padEnd(5)} ${fault.label} · ${topologyName(t)} (${r.seconds.toFixed(1)} s)${r.status === 'pass' ? '' : `: ${r.note}`}`);
        for (const p of r.status === 'FAIL' ? r.problems : []) log(`        ${p.slice(0, 3000)}`);
        results.push(r);
      }
    }
  } finally {
    pg?.release();
  }
  return { results, machine };
}

/** The matrix as a Markdown table, with the date and machine it ran on. */
export function renderTable(run: MatrixRun, topologies: Topology[] = TOPOLOGIES): string {
  const faults = [...new Set(run.results.map((r) => r.fault))];
  const cols = topologies.filter((t) => run.results.some((r) => r.topology === t));
  // each distinct reason or problem once, below the table, by number: the cells stay short
  const notes: string[] = [];
  const ref = (text: string) => {
    const clean = text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
    const short = clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
    if (!notes.includes(short)) notes.push(short);
    return `[${notes.indexOf(short) + 1}]`;
  };
  /** a cell this run did not try (`npm test` tries a few) */
  const cell = (f: Fault, t: Topology) => {
    const r = run.results.find((x) => x.fault === f && x.topology === t);
    if (!r) return 'not run';
    if (r.status === 'pass') return `pass (${Math.round(r.seconds)} s)${r.note.startsWith('passed this time') ? ` ${ref(r.note)}` : ''}`;
    return `${r.status} ${ref(r.note)}`;
  };
  const lines = [
    `Ran ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${hostname()} (${cpus().length} cores, ${process.platform}, Node ${process.version}).`,
    '',
    `| fault | ${cols.map(topologyName).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    ...faults.map((f) => `| ${f.label} | ${cols.map((t) => cell(f, t)).join(' | ')} |`),
  ];
  const count = (s: string) => run.results.filter((r) => r.status === s).length;
  lines.push('', ...notes.map((n, i) => `${i + 1}. ${n}`));
  lines.push('', `${count('pass')} pass, ${count('known')} known defects, ${count('FAIL')} failing, ${count('n/a')} not applicable.`);
  return lines.join('\n');
}
