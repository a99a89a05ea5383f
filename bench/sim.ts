/**
 * Simulator benchmark (`npm run bench:sim`, or `npx tsx bench/sim.ts [--orders N] [--json]`).
 * Replays a generated scenario of N orders (default 10,000) in virtual time: half are served from
 * local stock, half go through the supplier with [delayed, delayed, ok] (three checks each),
 * arriving in chunks of 100 a second. Prints wall time, orders per second, CPU time and peak RSS
 * (sampled) against the target (issue 24: 10,000 orders at 5,000 a second in under 300 MB; 100,000
 * in under 30 s and 1 GB). A benchmark, not a test: it never fails a build.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runScenario } from '../src/sim/index.js';
import { loadScenario } from '../src/sim/loader.js';
import { formatProblem } from '../src/sim/model.js';
import { generate } from './sim-scenario.js';

/** issue 24: ≥ 5,000 orders/s and < 300 MB on 10,000 orders; 100,000 orders in < 30 s and < 1 GB */
const targetFor = (orders: number) => (orders >= 100_000 ? { wallSeconds: 30, peakRssMB: 1024 } : { wallSeconds: orders / 5_000, peakRssMB: 300 });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      durability: { type: 'string' },
    },
  });
  values.orders ??= values.quick ? '2000' : '10000';
  const orders = Number(values.orders);
  if (!Number.isInteger(orders) || orders < 2) throw new Error('--orders must be a whole number, 2 or more');

  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const loaded = loadScenario('bench.yaml', generate(orders));
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const result = await runScenario(loaded.scenario);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());

  const reserved = result.outcome.orders.filter((o) => o.status === 'reserved').length;
  const slowest = Math.max(...result.outcome.orders.map((o) => o.settledAt ?? 0));
  const figures = {
    orders,
    reserved,
    passed: result.passed,
    virtualSeconds: result.outcome.endedAt / 1000,
    slowestSettledSeconds: slowest / 1000,
    wallSeconds: Number(seconds.toFixed(2)),
    ordersPerSecond: Math.round(orders / seconds),
    /** CPU time of this process (user + system): steadier than wall time on a loaded machine */
    cpuSeconds: Number(cpuSeconds.toFixed(2)),
    ordersPerCpuSecond: Math.round(orders / cpuSeconds),
    load: loadavg().map((x) => Number(x.toFixed(2))),
    peakRssMB: Math.round(peak / 1024 / 1024),
    target: targetFor(orders),
    withinTarget: seconds < targetFor(orders).wallSeconds && peak / 1024 / 1024 < targetFor(orders).peakRssMB,
  };
  console.log(
    `simulated ${orders} orders (${reserved} reserved, expectations ${result.passed ? 'met' : 'NOT met'}) over ${figures.virtualSeconds} s of virtual time`,
  );
  console.log(`wall time   ${figures.wallSeconds} s   (target < ${figures.target.wallSeconds} s)`);
  console.log(`throughput  ${figures.ordersPerSecond} orders/s; CPU ${figures.cpuSeconds} s (${figures.ordersPerCpuSecond} orders per CPU second)`);
  console.log(`load average ${figures.load.join(' ')}`);
  console.log(`peak RSS    ${figures.peakRssMB} MB   (target < ${figures.target.peakRssMB} MB)`);
  console.log(figures.withinTarget ? 'within target' : 'OUTSIDE target');
  // the bench orchestrator's contract: the last line of stdout is one JSON object
  if (values.json) console.log(JSON.stringify({ sim: { ...figures, orders, wallMs: Math.round(seconds * 1000), peakRssMb: figures.peakRssMB } }));
}

await main();
