/**
 * No silent regressions: `bench/baseline.json` holds the last accepted figures of `npm run bench`
 * (when, on what machine, which Node, the load average), and every run prints its figures beside
 * them with the change. A ratio (subject ÷ its baseline measured in the same run) that got worse
 * by more than 15 % is marked: those are the figures that stay comparable on a shared machine.
 * Absolute figures (orders/s, ms, MB) are shown with their change but never marked: on this
 * machine they move by ±20 % with the load from one run to the next.
 *
 *   npm run bench -- --save-baseline            run, then write the figures as the new baseline
 *   npx tsx bench/baseline.ts save <file>       the same from a saved `npm run bench -- --json` output
 *   npx tsx bench/baseline.ts show              print the stored baseline
 *
 * A `--quick` run is compared with the quick baseline when there is one (sizes differ), else with
 * the full one (the ratios still compare; the absolute figures less so). The figures never fail a
 * run: the marks are for the reader (and the JSON line's `regressions`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BASELINE_FILE = join(import.meta.dirname, 'baseline.json');
/** a ratio worse than its baseline by more than this is marked */
export const REGRESSION = 0.15;

type Results = Record<string, unknown>;

/** One figure a run produces, read from the parts' JSON. */
interface MetricDef {
  key: string;
  label: string;
  unit: string;
  /** which way is better */
  better: 'higher' | 'lower';
  /** a ratio against a baseline run in the same process: comparable across loads, marked when it regresses */
  ratio: boolean;
  /** where the figure is in the results: by default the key's path (`engine.ratio` → results.engine.ratio) */
  read?(r: Results): unknown;
}

const at = (r: Results, ...path: string[]): unknown =>
  path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), r);

export const METRICS: MetricDef[] = [
  { key: 'engine.ratio', label: 'engine ÷ hand-written SQL', unit: '×', better: 'higher', ratio: true },
  {
    key: 'engine.groupCommitRatio',
    label: 'group commit ÷ same baseline',
    unit: '×',
    better: 'higher',
    ratio: true,
  },
  {
    key: 'engine.groupCommitOfBatched',
    label: 'group commit ÷ same SQL batched by hand',
    unit: '×',
    better: 'higher',
    ratio: true,
  },
  { key: 'engine.ordersPerSec', label: 'engine orders/s', unit: '/s', better: 'higher', ratio: false },
  {
    key: 'engine.groupCommitPerSec',
    label: 'group commit orders/s',
    unit: '/s',
    better: 'higher',
    ratio: false,
  },
  { key: 'engine.cpuMsPerOrder', label: 'engine CPU per order', unit: 'ms', better: 'lower', ratio: false },
  {
    key: 'engine.groupCommitCpuMsPerOrder',
    label: 'group commit CPU per order',
    unit: 'ms',
    better: 'lower',
    ratio: false,
  },
  { key: 'http.ratio', label: 'POST /api/order ÷ bare Fastify (as shipped: group commit)', unit: '×', better: 'higher', ratio: true },
  {
    key: 'http.withRunnerRatio',
    label: 'serve with its runner ÷ same',
    unit: '×',
    better: 'higher',
    ratio: true,
  },
  {
    key: 'http.plainRatio',
    label: 'POST /api/order, --no-group-commit ÷ same',
    unit: '×',
    better: 'higher',
    ratio: true,
  },
  {
    key: 'http.plainRunnerRatio',
    label: 'serve with its runner, --no-group-commit ÷ same',
    unit: '×',
    better: 'higher',
    ratio: true,
  },
  {
    key: 'http.withRunnerBacklogSeconds',
    label: 'serve with its runner: backlog at the end',
    unit: 's',
    better: 'lower',
    ratio: false,
  },
  { key: 'http.reqPerSec', label: 'POST /api/order req/s', unit: '/s', better: 'higher', ratio: false },
  { key: 'sim.ordersPerSecond', label: 'simulator orders/s', unit: '/s', better: 'higher', ratio: false },
  { key: 'sim.peakRssMb', label: 'simulator peak RSS', unit: 'MB', better: 'lower', ratio: false },
  { key: 'cli.ratio', label: 'warehouse --help ÷ node -e 0', unit: '×', better: 'lower', ratio: true },
  {
    key: 'cli.orderCreateVirtualMs',
    label: 'order create --clock virtual',
    unit: 'ms',
    better: 'lower',
    ratio: false,
  },
  {
    key: 'cli.orderCreateCpuMs',
    label: 'order create --clock virtual, CPU',
    unit: 'ms',
    better: 'lower',
    ratio: false,
    read: (r) => at(r, 'cli', 'cpuMs', 'orderCreateVirtual'),
  },
  { key: 'sim.cpuSeconds', label: 'simulator CPU', unit: 's', better: 'lower', ratio: false },
  { key: 'locking.ratio', label: 'PostgreSQL strategies ÷ hand-written pg', unit: '×', better: 'higher', ratio: true },
  {
    key: 'locking.atomicAt16Ratio',
    label: 'PostgreSQL atomic at C=16 ÷ pg',
    unit: '×',
    better: 'higher',
    ratio: true,
    read: (r) => {
      const a = at(r, 'locking', 'at16', 'atomic') as { engine?: number; baseline?: number } | undefined;
      return a?.engine && a.baseline ? +(a.engine / a.baseline).toFixed(2) : undefined;
    },
  },
  {
    key: 'scale.bestDatabase',
    label: 'serve + workers, best orders/s',
    unit: '/s',
    better: 'higher',
    ratio: false,
    read: (r) => bestOf(at(r, 'scale', 'bestDatabase')),
  },
];

/** bench/scale.ts's `best`: a number or a row with `perSec` */
function bestOf(x: unknown): unknown {
  if (x && typeof x === 'object' && 'perSec' in x) return (x as { perSec: unknown }).perSec;
  return x;
}

/** The figures of a run, by metric key (those the run produced). */
export function figuresOf(results: Results): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of METRICS) {
    const v = m.read ? m.read(results) : at(results, ...m.key.split('.'));
    if (typeof v === 'number' && Number.isFinite(v)) out[m.key] = v;
  }
  return out;
}

export interface BaselineEntry {
  date: string;
  machine: string;
  node: string;
  /** 1, 5 and 15-minute load averages when the run ended */
  load: number[];
  durability: string;
  command: string;
  note?: string;
  figures: Record<string, number>;
}

export interface BaselineFile {
  about: string;
  full?: BaselineEntry;
  quick?: BaselineEntry;
}

export const machineDescription = () =>
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}`;

export const loadAverage = () => loadavg().map((x) => +x.toFixed(2));

export function readBaseline(file = BASELINE_FILE): BaselineFile | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BaselineFile;
  } catch {
    return null;
  }
}

export function saveBaseline(results: Results, opts: { quick: boolean; note?: string; load?: number[] }, file = BASELINE_FILE): BaselineEntry {
  const current = readBaseline(file) ?? { about: '' };
  const entry: BaselineEntry = {
    date: new Date().toISOString(),
    machine: machineDescription(),
    node: typeof results.node === 'string' ? results.node : process.version,
    load: opts.load ?? loadAverage(),
    durability: typeof results.durability === 'string' ? results.durability : 'full',
    command: `npm run bench --${opts.quick ? ' --quick' : ''} --save-baseline`,
    ...(opts.note ? { note: opts.note } : {}),
    figures: figuresOf(results),
  };
  const next: BaselineFile = {
    ...current,
    about:
      'The last accepted figures of `npm run bench` (bench/baseline.ts). Each run prints its figures beside these; a ratio worse by more than 15 % is marked. Replace with `npm run bench -- --save-baseline` after a change is accepted.',
    [opts.quick ? 'quick' : 'full']: entry,
  };
  // arrays of numbers on one line, as the formatter (biome) writes them
  const text = JSON.stringify(next, null, 2).replace(/\[\s+([-\d.,\s]*?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`);
  writeFileSync(file, `${text}\n`);
  return entry;
}

export interface Comparison {
  key: string;
  label: string;
  now: number;
  baseline: number | null;
  /** (now − baseline) / baseline */
  change: number | null;
  ratio: boolean;
  /** a ratio that got worse by more than REGRESSION */
  regressed: boolean;
}

export function compare(results: Results, entry: BaselineEntry): Comparison[] {
  const now = figuresOf(results);
  return METRICS.filter((m) => m.key in now).map((m) => {
    const value = now[m.key]!;
    const base = entry.figures[m.key];
    const change = base === undefined || base === 0 ? null : (value - base) / base;
    const worse = change === null ? 0 : m.better === 'higher' ? -change : change;
    return { key: m.key, label: m.label, now: value, baseline: base ?? null, change, ratio: m.ratio, regressed: m.ratio && worse > REGRESSION };
  });
}

const show = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(Math.abs(x) >= 10 ? 1 : 2));

/** The comparison as lines of text, for `npm run bench`. */
export function formatComparison(rows: Comparison[], entry: BaselineEntry, which: 'full' | 'quick', quick: boolean): string[] {
  const head = `against bench/baseline.json (${which}${which === 'full' && quick ? ': no quick baseline, sizes differ' : ''}): ${entry.date.slice(0, 10)}, ${entry.machine}, Node ${entry.node}, load ${entry.load.join(' ')}`;
  const unit = (key: string) => METRICS.find((m) => m.key === key)?.unit ?? '';
  const table = [['figure', 'now', 'baseline', 'change', ''] as string[]];
  for (const r of rows) {
    const u = unit(r.key);
    const mark = r.regressed ? `REGRESSED (a ratio ${Math.round(REGRESSION * 100)} %+ worse)` : r.ratio ? '' : '(absolute: moves with the load)';
    table.push([
      r.label,
      `${show(r.now)} ${u}`,
      r.baseline === null ? '-' : `${show(r.baseline)} ${u}`,
      r.change === null ? 'new' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(0)} %`,
      mark,
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return [
    head,
    ...table.map(
      (row) =>
        `  ${row
          .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(i === 4 ? 0 : widths[i]!)))
          .join('  ')
          .trimEnd()}`,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// run alone: save a baseline from a saved run, or show it

/** The last line of `text` that parses as the orchestrator's JSON summary. */
function lastSummary(text: string): Results {
  for (const line of text.split('\n').reverse()) {
    const s = line.trim();
    if (!s.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(s) as Results;
      if ('engine' in parsed || 'sim' in parsed || 'cli' in parsed) return parsed;
    } catch {
      // not JSON
    }
  }
  throw new Error('no `npm run bench -- --json` summary line found');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, file, ...rest] = process.argv.slice(2);
  if (command === 'save' && file) {
    const results = lastSummary(readFileSync(file, 'utf8'));
    const i = rest.indexOf('--note');
    const load = (results.load as { end?: number[] } | undefined)?.end;
    const entry = saveBaseline(results, { quick: results.quick === true, note: i >= 0 ? rest[i + 1] : undefined, load });
    console.log(`bench/baseline.json (${results.quick === true ? 'quick' : 'full'}): ${Object.keys(entry.figures).length} figures saved`);
  } else if (command === 'show') {
    console.log(JSON.stringify(readBaseline(), null, 2));
  } else {
    console.error('usage: tsx bench/baseline.ts save <npm run bench --json output> [--note text] | show');
    process.exitCode = 2;
  }
}
