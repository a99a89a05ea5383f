/**
 * How busy the runner keeps its slots when jobs are slow because they wait: every order short of
 * stock, a supplier over HTTP answering each reservation after 50–150 ms (uniform), a backlog of
 * orders and `concurrency` 32. What it measures is the cost of the driver refilling its slots in
 * batches (app/driver.ts `refillAt`; docs/decisions.md, "The runner refills its slots in
 * batches"): a freed slot may stay empty up to 5 ms while the queue has a backlog.
 *
 * Run: npm run bench:slots [-- --json] [--orders N] [--latency MS] [--concurrency C] [--rounds R]
 *
 * Subject. `createWarehouse` on a new SQLite file (group commit, the default), real clock,
 * `--supplier-url` a node:http server in this process that answers `{"accepted": false}` after
 * latency × U(0.5, 1.5) ms. The orders are created first by an engine that runs no job (not
 * timed), then `runUntilIdle()` runs the queue dry; the jobs in flight are sampled every 2 ms.
 * Baseline: every slot busy all the time (`concurrency`). Figures: orders/s, the mean number of
 * jobs in flight and its ratio to `concurrency`, claims per order. Not in `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createWarehouse } from '../src/wiring/warehouse.js';

interface Round {
  ordersPerSec: number;
  meanInFlight: number;
  busy: number;
  claimsPerOrder: number;
}

async function round(orders: number, latencyMs: number, concurrency: number): Promise<Round> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      setTimeout(
        () => {
          res.setHeader('content-type', 'application/json');
          res.end('{"accepted":false}');
        },
        latencyMs * (0.5 + Math.random()),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'bench-slots-'));
  const file = join(dir, 'slots.db');
  try {
    const seed = await createWarehouse({ database: file, clock: 'real', noJobs: true });
    for (let i = 0; i < orders; i++) await seed.orders.create({ sku: 'SLOW', qty: 1 });
    await seed.close();
    const supplierUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const w = await createWarehouse({ database: file, clock: 'real', settings: { concurrency }, supplierUrl });
    const queue = w.queue;
    const claim = queue.claim.bind(queue);
    let claims = 0;
    queue.claim = (...args) => {
      claims++;
      return claim(...args);
    };
    let sum = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      sum += w.runner.inFlight;
      samples++;
    }, 2);
    const t0 = performance.now();
    await w.runner.runUntilIdle();
    const wallMs = performance.now() - t0;
    clearInterval(sampler);
    await w.close();
    const meanInFlight = sum / Math.max(1, samples);
    return {
      ordersPerSec: Math.round((orders / wallMs) * 1000),
      meanInFlight: +meanInFlight.toFixed(1),
      busy: +(meanInFlight / concurrency).toFixed(3),
      claimsPerOrder: +(claims / orders).toFixed(2),
    };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string', default: '640' },
      latency: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '32' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const orders = Number(values.orders);
  const latencyMs = Number(values.latency);
  const concurrency = Number(values.concurrency);
  const rounds: Round[] = [];
  for (let i = 0; i < Number(values.rounds); i++) rounds.push(await round(orders, latencyMs, concurrency));
  const result = {
    orders,
    latencyMs,
    concurrency,
    ordersPerSec: median(rounds.map((r) => r.ordersPerSec)),
    meanInFlight: median(rounds.map((r) => r.meanInFlight)),
    busy: median(rounds.map((r) => r.busy)),
    claimsPerOrder: median(rounds.map((r) => r.claimsPerOrder)),
    rounds,
  };
  console.log(
    `slots: ${orders} orders short of stock, supplier answering in ${latencyMs / 2}–${(latencyMs * 3) / 2} ms, concurrency ${concurrency}, ${rounds.length} rounds (medians)`,
  );
  console.log(
    `  ${result.ordersPerSec} orders/s, ${result.meanInFlight} jobs in flight on average: ${result.busy} of every slot busy (baseline 1), ${result.claimsPerOrder} claims an order`,
  );
  if (values.json) console.log(JSON.stringify(result));
}

await main();
