/**
 * CLI start-up: median wall time of `warehouse --help` and of a virtual-clock `order create`,
 * against `node -e 0` (the floor any Node CLI pays). Run: npm run bench:cli [-- --runs 15] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 0) || (args.includes('--quick') ? 5 : 15);
const json = args.includes('--json');
const bin = resolve(import.meta.dirname, '..', 'bin', 'warehouse.js');
const dir = mkdtempSync(join(tmpdir(), 'warehouse-bench-cli-'));

function median(cmd: string[], env: NodeJS.ProcessEnv = {}): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, cmd, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: 'ignore' });
    times.push(performance.now() - start);
    if (r.status !== 0 && !(cmd.includes('create') && r.status === 1)) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

try {
  const nodeMs = median(['-e', '0']);
  const helpMs = median([bin, '--help']);
  const db = join(dir, 'bench.db');
  const createMs = median([
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
  ]);
  const result = {
    runs,
    nodeMs: +nodeMs.toFixed(1),
    helpMs: +helpMs.toFixed(1),
    ratio: +(helpMs / nodeMs).toFixed(2),
    orderCreateVirtualMs: +createMs.toFixed(1),
  };
  console.log(`cli (median of ${runs} runs, Node ${process.version})`);
  console.log(`  node -e 0                                  ${result.nodeMs} ms (baseline)`);
  console.log(`  warehouse --help                           ${result.helpMs} ms  ratio ${result.ratio} (target ≤ 3)`);
  console.log(`  warehouse order create --clock virtual ... ${result.orderCreateVirtualMs} ms (delayed,delayed,ok: 45 s of virtual time)`);
  if (json)
    console.log(JSON.stringify({ cli: { ms: result.helpMs, nodeMs: result.nodeMs, ratio: result.ratio, orderCreateVirtualMs: result.orderCreateVirtualMs } }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
