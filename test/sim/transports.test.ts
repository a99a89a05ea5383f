import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../bench/sim-scenario.js';
import { loadScenario, loadScenarioFile } from '../../src/sim/loader.js';
import { replay } from '../../src/sim/runner.js';
import { ROOT } from '../helpers.js';

const dir = join(ROOT, 'scenarios');
// the library and its lessons (docs/teaching.md)
const files = [
  ...readdirSync(dir).filter((f) => f.endsWith('.yaml')),
  ...readdirSync(join(dir, 'lessons'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join('lessons', f)),
];

/**
 * A virtual run reaches the mock through the direct transport and keeps its data in the in-memory
 * backend (docs/decisions.md, issue 24); a real-time process reaches it through msw/node's
 * interception of fetch, and keeps its data in SQLite. Every combination must give the same story.
 */
describe('the mock transports and the simulator backends give the same outcome on every scenario of the library', () => {
  it('has scenarios to compare', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s', async (file) => {
    const loaded = await loadScenarioFile(join(dir, file));
    if (!loaded.ok) throw new Error(`${file}: ${loaded.problems.map((p) => p.message).join('; ')}`);
    const fast = await replay(loaded.scenario, { mockTransport: 'direct', backend: 'memory' });
    const product = await replay(loaded.scenario, { mockTransport: 'intercept', backend: 'sqlite' });
    const direct = await replay(loaded.scenario, { mockTransport: 'direct', backend: 'sqlite' });
    expect(product.supplierCalls.length).toBeGreaterThan(-1);
    expect(fast.orders.length).toBe(product.orders.length);
    expect(fast).toEqual(product);
    expect(direct).toEqual(product);
  });

  it("the benchmark's scenario (600 orders, half through a slow supplier, arriving in chunks) gives the same outcome on both backends", async () => {
    const loaded = loadScenario('bench.yaml', generate(600));
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    const fast = await replay(loaded.scenario, { backend: 'memory' });
    const product = await replay(loaded.scenario, { backend: 'sqlite' });
    expect(fast.orders.filter((o) => o.status === 'reserved')).toHaveLength(600);
    expect(fast).toEqual(product);
  });
});
