/**
 * How long the expensive reads hold the server's event loop on a large SQLite file (docs/security.md,
 * "Bounded resources"): GET /api/check, the first GET /metrics, GET /api/overview, GET /api/orders?order=newest.
 *
 * Run: npx tsx bench/loop-hold.ts [--orders 200000] [--file path] [--json]
 *
 * The file is built by bench/integrity.ts's `build` (the engine's own open and migrations, rows as
 * the engine writes them), unless `--file` names one built before. A real server (startServer, no
 * runner) on it, in this process; each request in turn, several times, with a /healthz sent at the
 * same moment. Printed per route: its time, the longest event-loop stall while it ran
 * (monitorEventLoopDelay at 1 ms resolution: the longest time the loop could not run anything,
 * which is what every other request waits) and the concurrent /healthz's time. The bar: no stall
 * over 50 ms.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startServer } from '../src/http/server.js';
import { build } from './integrity.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '200000' },
    file: { type: 'string' },
    json: { type: 'boolean', default: false },
    durability: { type: 'string' },
  },
});
const file = values.file ?? join(mkdtempSync(join(tmpdir(), 'bench-loop-')), 'w.db');
if (!existsSync(file)) {
  const t = performance.now();
  await build(file, Number(values.orders));
  console.log(`built ${Number(values.orders).toLocaleString('en')} orders in ${((performance.now() - t) / 1000).toFixed(1)} s: ${file}`);
}
const server = await startServer({ database: file, port: 0, runner: false, logLevel: 'silent', rateLimitPerMinute: 0 });
const round = (ms: number) => Math.round(ms * 10) / 10;

async function measure(path: string, runs: number) {
  const out: Array<{ ms: number; stallMs: number; healthzMs: number }> = [];
  for (let i = 0; i < runs; i++) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t = performance.now();
    const health = (async () => {
      const t1 = performance.now();
      await (await fetch(`${server.url}/healthz`)).text();
      return performance.now() - t1;
    })();
    const res = await fetch(`${server.url}${path}`);
    await res.text();
    const ms = performance.now() - t;
    const healthzMs = await health;
    h.disable();
    out.push({ ms: round(ms), stallMs: round(h.max / 1e6), healthzMs: round(healthzMs) });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  }
  return out;
}

const results: Record<string, unknown> = {};
for (const [path, runs] of [
  ['/metrics', 2],
  ['/api/check', 3],
  ['/api/overview', 3],
  ['/api/orders?limit=500', 3],
] as const) {
  const r = await measure(path, runs);
  results[path] = r;
  console.log(`${path.padEnd(36)} ${r.map((x) => `${x.ms} ms (stall ${x.stallMs} ms, /healthz ${x.healthzMs} ms)`).join(' · ')}`);
}
await server.close();
if (values.json) console.log(JSON.stringify({ file, results }));
