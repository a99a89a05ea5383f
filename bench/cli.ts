/**
 * CLI start-up: median wall time of `warehouse --help` and of a virtual-clock `order create` (on
 * a new database file every run), against `node -e 0` (the floor any Node CLI pays).
 * Run: npm run bench:cli [-- --runs 15] [--json] [--node /path/to/node]
 *
 * `--node` runs both under another Node binary (e.g. a Node 22 or 24 fetched by
 * .ci/other-nodes.sh: its compile cache is on from the second run). The modules `order create`
 * loads are counted once, in a run of their own (a module hook costs time of its own).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 0) || (args.includes('--quick') ? 5 : 15);
const json = args.includes('--json');
const bin = resolve(import.meta.dirname, '..', 'bin', 'warehouse.js');
const node = args.includes('--node') ? resolve(args[args.indexOf('--node') + 1]!) : process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-cli-'));

/** GNU time, when the machine has it: the CPU time (user + system) of each run, steadier than wall time on a loaded machine */
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const cpuMs: Record<string, number> = {};
const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The median wall time of each command, their runs taken in turns (a, b, a, b, …): a ratio of two
 * of them then compares runs made in the same seconds, not two batches a load change apart.
 */
function medians(cmds: string[][], before?: () => void): number[] {
  const times = cmds.map((): number[] => []);
  const cpu = cmds.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    cmds.forEach((cmd, k) => {
      before?.();
      const start = performance.now();
      const [file, argv] = timeBin ? [timeBin, ['-f', 'cpu %U %S', node, ...cmd]] : [node, cmd];
      const r = spawnSync(file, argv, { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      times[k]!.push(performance.now() - start);
      const used = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr ?? '');
      if (used) cpu[k]!.push((Number(used[1]) + Number(used[2])) * 1000);
      if (r.status !== 0 && !(cmd.includes('create') && r.status === 1)) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
    });
  }
  cmds.forEach((cmd, k) => {
    if (cpu[k]!.length > 0) cpuMs[cmd.join(' ')] = Math.round(mid(cpu[k]!));
  });
  return times.map(mid);
}

const createArgs = (db: string) => [
  bin,
  '--db',
  db,
  'order',
  'create',
  '--sku',
  'BENCH',
  '--qty',
  '1',
  '--clock',
  'virtual',
  '--supplier-status',
  'delayed,delayed,ok',
];

/** a new file every run: creating and migrating it is part of what is measured */
function fresh(db: string): void {
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
}

/** The modules (ESM: ours and the packages'; CommonJS files a package requires are not seen) one run of `cmd` loads, on a new file. */
function countModules(cmd: string[]): number | null {
  const hooks = join(dir, 'count-hooks.mjs');
  const log = join(dir, 'modules.txt');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
  );
  const register = join(dir, 'count-register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  fresh(cmd[2]!);
  const r = spawnSync(node, ['--import', pathToFileURL(register).href, ...cmd], { env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
  if (r.status !== 0 || !existsSync(log)) return null;
  return new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith('file:')),
  ).size;
}

const loadAtStart = loadavg().map((x) => +x.toFixed(2));
try {
  // node -e 0 and --help in turns: their ratio is the figure
  const [nodeMs, helpMs] = medians([
    ['-e', '0'],
    [bin, '--help'],
  ]) as [number, number];
  const db = join(dir, 'bench.db');
  const [createMs] = medians([createArgs(db)], () => fresh(db)) as [number];
  const modules = countModules(createArgs(db));
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
    orderCreateModules: modules,
  };
  const version = node === process.execPath ? process.version : spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`cli (median of ${runs} runs, Node ${version}, load average ${loadAtStart.join(' ')} at the start, ${result.load.join(' ')} at the end)`);
  console.log(`  node -e 0                                  ${result.nodeMs} ms (baseline)`);
  console.log(`  warehouse --help                           ${result.helpMs} ms  ratio ${result.ratio} (target ≤ 1.5)`);
  console.log(`  warehouse order create --clock virtual ... ${result.orderCreateVirtualMs} ms (delayed,delayed,ok: 45 s of virtual time; target ≤ 400 ms)`);
  if (modules !== null) console.log(`  modules loaded by that order create: ${modules} (ours and the packages' ES modules)`);
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
          orderCreateModules: modules,
          cpuMs: result.cpuMs,
          load: result.load,
        },
      }),
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
