/**
 * CLI start-up: median wall time of `warehouse --help` and of a virtual-clock `order create` (on
 * a new database file every run), against `node -e 0` (the floor any Node CLI pays).
 * Run: npm run bench:cli [-- --runs 15] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 0) || (args.includes('--quick') ? 5 : 15);
const json = args.includes('--json');
const bin = resolve(import.meta.dirname, '..', 'bin', 'warehouse.js');
const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-cli-'));

/** GNU time, when the machine has it: the CPU time (user + system) of each run, steadier than wall time on a loaded machine */
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const cpuMs: Record<string, number> = {};
const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function median(cmd: string[], env: NodeJS.ProcessEnv = {}, before?: () => void): number {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    const start = performance.now();
    const [file, argv] = timeBin ? [timeBin, ['-f', 'cpu %U %S', process.execPath, ...cmd]] : [process.execPath, cmd];
    const r = spawnSync(file, argv, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    times.push(performance.now() - start);
    const used = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr ?? '');
    if (used) cpu.push((Number(used[1]) + Number(used[2])) * 1000);
    if (r.status !== 0 && !(cmd.includes('create') && r.status === 1)) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
  }
  if (cpu.length > 0) cpuMs[cmd.join(' ')] = Math.round(mid(cpu));
  return mid(times);
}

try {
  const nodeMs = median(['-e', '0']);
  const helpMs = median([bin, '--help']);
  const db = join(dir, 'bench.db');
  const createMs = median(
    [bin, '--db', db, 'order', 'create', '--sku', 'BENCH', '--qty', '1', '--clock', 'virtual', '--supplier-status', 'delayed,delayed,ok'],
    {},
    () => {
      // a new file every run: creating and migrating it is part of what is measured
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    },
  );
  const cpuOf = (prefix: string) => Object.entries(cpuMs).find(([k]) => k.startsWith(prefix))?.[1];
  const result = {
    runs,
    /** median CPU ms (user + system) per run, when /usr/bin/time is there: node -e 0, --help, order create */
    cpuMs: timeBin ? { node: cpuOf('-e 0'), help: cpuOf(`${bin} --help`), orderCreateVirtual: cpuOf(`${bin} --db`) } : null,
    load: loadavg().map((x) => +x.toFixed(2)),
    nodeMs: +nodeMs.toFixed(1),
    helpMs: +helpMs.toFixed(1),
    ratio: +(helpMs / nodeMs).toFixed(2),
    orderCreateVirtualMs: +createMs.toFixed(1),
  };
  console.log(`cli (median of ${runs} runs, Node ${process.version}, load average ${result.load.join(' ')})`);
  console.log(`  node -e 0                                  ${result.nodeMs} ms (baseline)`);
  console.log(`  warehouse --help                           ${result.helpMs} ms  ratio ${result.ratio} (target ≤ 1.5)`);
  console.log(`  warehouse order create --clock virtual ... ${result.orderCreateVirtualMs} ms (delayed,delayed,ok: 45 s of virtual time; target ≤ 400 ms)`);
  if (result.cpuMs)
    console.log(
      `  CPU (user + system), medians: node -e 0 ${result.cpuMs.node} ms, --help ${result.cpuMs.help} ms, order create ${result.cpuMs.orderCreateVirtual} ms`,
    );
  if (json)
    console.log(
      JSON.stringify({
        cli: {
          ms: result.helpMs,
          nodeMs: result.nodeMs,
          ratio: result.ratio,
          orderCreateVirtualMs: result.orderCreateVirtualMs,
          cpuMs: result.cpuMs,
          load: result.load,
        },
      }),
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
