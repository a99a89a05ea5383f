/**
 * Crash harness: real `warehouse work` processes on one SQLite file, killed with SIGKILL at
 * random moments (counted in events they have printed, never in wall time) and restarted; then a
 * last worker drains the queue. Used small by the test suite and large by `npm run soak`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRandom } from '../../src/app/random.js';
import { createWarehouse } from '../../src/wiring/warehouse.js';
import { BIN, ROOT } from '../helpers.js';

export interface CrashOptions {
  db: string;
  orders: number;
  workers: number;
  kills: number;
  seed?: number;
  /** extra orders created over HTTP by the caller, if any, are welcome too */
  log?: (line: string) => void;
}

export interface CrashStats {
  kills: number;
  restarts: number;
  eventsSeen: number;
  drainCode: number | null;
}

/** Fast settings so retries, checks and expired leases come round quickly in real time. */
// a restarted worker's mock starts each conversation afresh, so a ref can hear `delayed` once per
// process: a generous delayed budget keeps kills from turning into supplier_delayed failures
export const FAST = [
  '--check-delay',
  '100ms',
  '--lease',
  '1s',
  '--backoff-base',
  '50ms',
  '--backoff-cap',
  '400ms',
  '--job-attempts',
  '20',
  '--max-delayed-retries',
  '20',
];
/** Every SKU: the first reserve call fails, then the supplier accepts; one delayed check, then ok. */
export const CHAOS_SCRIPT = ['--supplier-reserve', 'error,accepted', '--supplier-status', 'delayed,ok'];

export function spawnWorker(db: string, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [BIN, '--db', db, '--no-color', 'work', ...FAST, ...CHAOS_SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // an unread pipe fills up and blocks the worker on its next write: always consume both
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

export async function seedOrders(db: string, orders: number): Promise<number[]> {
  const w = await createWarehouse({ database: db, clock: 'real' });
  try {
    // a third of the orders can be served from stock; the rest go to the supplier
    await w.inventory.set('HOT', Math.ceil(orders / 3));
    const ids: number[] = [];
    for (let i = 0; i < orders; i++) ids.push((await w.orders.create({ sku: i % 3 === 0 ? 'SUP' : 'HOT', qty: 1 })).id);
    return ids;
  } finally {
    await w.close();
  }
}

export async function crashRun(opts: CrashOptions): Promise<CrashStats> {
  const random = createRandom(opts.seed ?? 7);
  const stats: CrashStats = { kills: 0, restarts: 0, eventsSeen: 0, drainCode: null };
  const live = new Set<ChildProcess>();
  let killDone!: () => void;
  const allKilled = new Promise<void>((r) => (killDone = r));
  // spread the kills over the first part of the run (an order prints about 5 events on its way)
  const spacing = Math.max(2, Math.floor((opts.orders * 5) / (opts.kills + 1)));
  const gap = () => 1 + Math.floor(random() * spacing);
  let nextKillAt = gap();
  if (opts.kills === 0) killDone();
  // resolves when the last live worker has exited on its own (it ran out of work)
  let noneLeft!: () => void;
  const allDone = new Promise<void>((r) => (noneLeft = r));

  const start = () => {
    const child = spawnWorker(opts.db, ['--until-idle']);
    live.add(child);
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!/#\d+/.test(line)) continue;
        stats.eventsSeen++;
        opts.log?.(line);
        if (stats.kills < opts.kills && stats.eventsSeen >= nextKillAt) {
          const victims = [...live];
          const victim = victims[Math.floor(random() * victims.length)]!;
          live.delete(victim);
          victim.kill('SIGKILL');
          stats.kills++;
          nextKillAt = stats.eventsSeen + gap();
          if (stats.kills >= opts.kills) killDone();
          else {
            stats.restarts++;
            start();
          }
        }
      }
    });
    child.on('exit', () => {
      // workers run --until-idle: one that exits by itself found the queue empty
      if (live.delete(child) && live.size === 0) noneLeft();
    });
  };
  for (let i = 0; i < opts.workers; i++) start();

  // all kills done, or the workers finished everything before the planned kills
  await Promise.race([allKilled, allDone]);
  for (const child of live) child.kill('SIGKILL');
  stats.kills += live.size;
  live.clear();

  // drain: one last worker until the queue is empty (expired leases of the killed ones included)
  const drain = spawnWorker(opts.db, ['--until-idle']);
  stats.drainCode = await new Promise((resolve) => drain.on('exit', (code) => resolve(code)));
  return stats;
}
