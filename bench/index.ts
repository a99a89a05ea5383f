/**
 * `npm run bench [-- --quick] [--json] [--only engine,cli] [--durability full|normal] [--save-baseline]`
 *
 * Runs the benchmark parts in turn, each against its own baseline in the same process run:
 *   engine  in this process (bench/engine.ts, runEngineBench)
 *   http    bench/http.ts   spawned as `tsx bench/http.ts --json [--quick]`
 *   sim     bench/sim.ts    spawned the same way
 *   cli     bench/cli.ts    spawned the same way (needs `dist/`: run `npm run build` first)
 *   locking bench/locking.ts spawned the same way (PostgreSQL; it prints {"locking":{"skipped":…}}
 *           and is counted as skipped when no server answers)
 *   scale   bench/scale.ts   spawned the same way (PostgreSQL and Redis; skipped the same way when
 *           either does not answer)
 *
 * Contract for a spawned part: with `--json` its last JSON line on stdout is `{"<part>":{...}}`
 * (bench/cli.ts prints `{"cli":{...}}`); every other line is shown as it comes. A part whose file
 * does not exist is skipped with a note; a part that fails (exit code ≠ 0, no JSON line, time-out)
 * prints its error and the others still run. The figures never fail the run; a failing part does
 * (exit code 1), so CI catches a benchmark that rots. With --json the output ends with ONE line:
 * {"engine":{...},"http":{...},"sim":{...},"cli":{...}, "skipped":{...},"failed":{...}, "regressions":[...], ...}
 * where a part that did not run is null.
 *
 * Every run ends with its figures beside bench/baseline.json's (the last accepted ones; see
 * bench/baseline.ts): a ratio more than 15 % worse is marked and listed in `regressions`, never
 * failing the run. `--save-baseline` makes this run's figures the new baseline.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import type { Durability } from '../src/adapters/sqlite/open.js';
import { compare, formatComparison, loadAverage, readBaseline, REGRESSION, saveBaseline } from './baseline.js';

const PARTS = ['engine', 'http', 'sim', 'cli', 'locking', 'scale'] as const;
type Part = (typeof PARTS)[number];
type Figures = Record<string, unknown>;

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const saveAsBaseline = args.includes('--save-baseline');
const optionValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function parseOnly(): Part[] {
  const only = optionValue('--only');
  if (only === undefined) return [...PARTS];
  const names = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--only: unknown part ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
  return PARTS.filter((p) => names.includes(p));
}

function parseDurability(): Durability | undefined {
  const d = optionValue('--durability');
  if (d === undefined) return undefined;
  if (d !== 'full' && d !== 'normal') throw new Error(`--durability is full or normal, got ${JSON.stringify(d)}`);
  return d;
}

/** per part; --quick must stay under a minute in all */
const timeoutMs = quick ? 90_000 : 15 * 60_000;

/** Spawn `tsx bench/<part>.ts --json [--quick]`, echo its lines, return its `{"<part>":{...}}` figures. */
function runSpawned(part: Part, file: string, durability: Durability | undefined): Promise<Figures> {
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const partArgs = ['--json', ...(quick ? ['--quick'] : []), ...(durability ? ['--durability', durability] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, file, ...partArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let found: Figures | null = null;
    let pending = '';
    let stderrTail = '';
    const onLine = (line: string) => {
      const trimmed = line.trim();
      if (trimmed.startsWith('{')) {
        try {
          const parsed = JSON.parse(trimmed) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
            const obj = parsed as Record<string, unknown>;
            const inner = obj[part];
            found = inner && typeof inner === 'object' ? (inner as Figures) : obj;
            return;
          }
        } catch {
          // not JSON after all: show it
        }
      }
      console.log(line);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk).slice(-2_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${part}: no result after ${timeoutMs / 1000} s; stopped`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending) onLine(pending);
      if (code !== 0) {
        const lines = stderrTail
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !/^Node\.js v\d/.test(l) && !/^at /.test(l));
        const last = lines.findLast((l) => /Error\b/.test(l)) ?? lines.at(-1);
        reject(new Error(`${relative(root, file)} exited ${code ?? signal}${last ? `: ${last}` : ''}`));
      } else if (!found) reject(new Error(`${relative(root, file)} printed no JSON line (expected {"${part}":{...}} with --json)`));
      else resolve(found);
    });
  });
}

async function runPart(part: Part, durability: Durability | undefined): Promise<Figures> {
  if (part === 'engine') {
    const { runEngineBench } = await import('./engine.js');
    const { runs: _runs, ...figures } = await runEngineBench({ quick, durability });
    return figures;
  }
  return runSpawned(part, join(root, 'bench', `${part}.ts`), durability);
}

// ---------------------------------------------------------------------------------------------
// summary

const num = (x: unknown, digits = 0): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '-');

function row(part: Part, f: Figures): [string, string, string, string] {
  switch (part) {
    case 'engine':
      return [
        `${num(f.ordersPerSec)} orders/s`,
        `${num(f.baselinePerSec)} orders/s`,
        num(f.ratio, 2),
        `${String(f.durability)}, p50 ${num(f.p50Ms, 1)} ms, p99 ${num(f.p99Ms, 1)} ms, target ratio ≥ 0.5`,
      ];
    case 'http':
      return [`${num(f.reqPerSec)} req/s`, `${num(f.baselinePerSec)} req/s`, num(f.ratio, 2), `p99 ${num(f.p99Ms, 1)} ms`];
    case 'sim':
      return [
        `${num(f.orders)} orders in ${num(f.wallMs)} ms (${num(f.ordersPerSecond)} orders/s)`,
        '',
        '',
        `CPU ${num(f.cpuSeconds, 2)} s, peak RSS ${num(f.peakRssMb)} MB, target ≥ 5,000 orders/s`,
      ];
    case 'cli':
      return [
        `${num(f.ms, 1)} ms`,
        `${num(f.nodeMs, 1)} ms`,
        num(f.ratio, 2),
        `warehouse --help vs node -e 0, target ratio ≤ 1.5; order create --clock virtual on a new file ${num(f.orderCreateVirtualMs)} ms, target ≤ 400`,
      ];
    case 'locking': {
      const at16 = (f.at16 ?? {}) as Record<string, { engine: number; baseline: number } | null>;
      const each = (k: 'engine' | 'baseline') =>
        Object.values(at16)
          .map((v) => num(v?.[k]))
          .join('/');
      return [
        `${each('engine')} orders/s`,
        `${each('baseline')} orders/s`,
        num(f.ratio, 2),
        `pessimistic/optimistic/atomic at 16, oversell ${num(f.oversell)}, deadlocks ${num(f.deadlocks)}`,
      ];
    }
    case 'scale': {
      const rows = (f.rows ?? []) as Array<{ queue: string; workers: number; perSec: number }>;
      const curve = (q: string) =>
        rows
          .filter((r) => r.queue === q)
          .map((r) => `${r.workers}:${r.perSec}`)
          .join(' ');
      return [
        `redis ${curve('redis')} orders/s`,
        `database ${curve('database')} orders/s`,
        '',
        'workers:orders/s end to end on PostgreSQL, BullMQ vs the in-database queue',
      ];
    }
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r) =>
        '  ' +
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const selected = parseOnly();
  const durability = parseDurability();
  const results: Record<Part, Figures | null> = { engine: null, http: null, sim: null, cli: null, locking: null, scale: null };
  const skipped: Partial<Record<Part, string>> = {};
  const failed: Partial<Record<Part, string>> = {};
  const seconds: Partial<Record<Part, number>> = {};
  const started = performance.now();
  const loadAtStart = loadAverage();

  console.log(
    `bench${quick ? ' --quick' : ''}: ${selected.join(', ')} (Node ${process.version}, ${cpus().length} cores, load average ${loadAtStart.join(' ')})`,
  );
  for (const part of PARTS) {
    if (!selected.includes(part)) {
      skipped[part] = 'not selected (--only)';
      continue;
    }
    const file = join(root, 'bench', `${part}.ts`);
    if (!existsSync(file)) {
      skipped[part] = `bench/${part}.ts does not exist yet`;
      console.log(`\n[${part}] skipped: ${skipped[part]}`);
      continue;
    }
    console.log(`\n[${part}]`);
    const t0 = performance.now();
    try {
      const figures = await runPart(part, durability);
      // a part that cannot run here (locking without PostgreSQL) says why instead of figures
      if (typeof figures.skipped === 'string') skipped[part] = figures.skipped;
      else results[part] = figures;
    } catch (error) {
      failed[part] = error instanceof Error ? error.message : String(error);
      console.error(`[${part}] FAILED: ${failed[part]}`);
    }
    seconds[part] = +((performance.now() - t0) / 1000).toFixed(1);
  }

  const rows: string[][] = [['part', 'subject', 'baseline', 'ratio', 'notes']];
  for (const part of selected) {
    const f = results[part];
    if (f) rows.push([part, ...row(part, f)]);
    else rows.push([part, '', '', '', failed[part] ? `FAILED: ${failed[part]}` : `skipped: ${skipped[part] ?? ''}`]);
  }
  const totalSeconds = +((performance.now() - started) / 1000).toFixed(1);
  const loadAtEnd = loadAverage();
  console.log(`\nsummary (${totalSeconds} s; load average ${loadAtStart.join(' ')} at the start, ${loadAtEnd.join(' ')} at the end)`);
  console.log(table(rows));

  // no silent regressions: every figure beside the last accepted one (bench/baseline.ts)
  const measured: Record<string, unknown> = {
    ...results,
    quick,
    durability: durability ?? 'full',
    node: process.version,
    load: { start: loadAtStart, end: loadAtEnd },
  };
  const stored = readBaseline();
  const which = quick && stored?.quick ? 'quick' : 'full';
  const entry = stored?.[which] ?? stored?.quick;
  const comparison = entry ? compare(measured, entry) : [];
  const regressions = comparison.filter((c) => c.regressed).map((c) => c.key);
  if (entry) {
    console.log('');
    for (const line of formatComparison(comparison, entry, entry === stored?.quick ? 'quick' : 'full', quick)) console.log(line);
    console.log(
      regressions.length > 0
        ? `${regressions.length} ratio(s) more than ${REGRESSION * 100} % worse than the baseline: ${regressions.join(', ')} (run again to rule out noise)`
        : `no ratio more than ${REGRESSION * 100} % worse than the baseline`,
    );
  } else console.log('\nno bench/baseline.json to compare with: `npm run bench -- --save-baseline` makes one');
  if (saveAsBaseline) {
    if (Object.keys(failed).length > 0) console.log('not saved as the baseline: a part failed');
    else {
      const saved = saveBaseline(measured, { quick, load: loadAtEnd });
      console.log(`saved as the ${quick ? 'quick' : 'full'} baseline in bench/baseline.json (${Object.keys(saved.figures).length} figures)`);
    }
  }

  if (json) {
    console.log(
      JSON.stringify({
        ...results,
        skipped,
        failed,
        quick,
        durability: durability ?? 'full',
        seconds: { ...seconds, total: totalSeconds },
        node: process.version,
        cpus: cpus().length,
        load: { start: loadAtStart, end: loadAtEnd },
        regressions,
      }),
    );
  }
  return Object.keys(failed).length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
}
