/**
 * The real design holds: every scenario of scenarios/ and of the lessons, under each real reserve
 * strategy, with a crash at every point between two steps (exhaustively where the space is small,
 * else a short random search), breaks none of the explorer's rules (the invariants of `warehouse
 * check`, every order final or waiting, no job parked, one supplier reservation per order).
 * Expectations are left out: several scenarios expect first come, first served, which a schedule
 * may reorder (a finding `explore` reports, not a broken rule).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESERVE_STRATEGIES } from '../../src/domain/settings.js';
import { explore } from '../../src/explore/search.js';
import { loadAll } from '../../src/sim/index.js';
import { ROOT } from '../helpers.js';

const dirs = [join(ROOT, 'scenarios'), join(ROOT, 'scenarios', 'lessons')];
const files = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(d, f)),
);
const { scenarios, problems } = await loadAll(files);

/** a scenario of many orders (the burst, the tour) gets a few random schedules: each run takes long */
const budgetFor = (orders: number) => (orders > 10 ? 1 : orders > 4 ? 4 : 25);

describe('the real design under explore --crashes', () => {
  it('loads every scenario', () => {
    expect(problems).toEqual([]);
    expect(scenarios.length).toBeGreaterThanOrEqual(20);
  });

  for (const strategy of RESERVE_STRATEGIES) {
    it(`breaks no rule on any scenario with the ${strategy} strategy`, async () => {
      const broken: string[] = [];
      for (const scenario of scenarios) {
        const orders = scenario.steps.reduce((n, s) => n + (s.kind === 'order' ? (s.count ?? 1) : 0), 0);
        const r = await explore(scenario, { variant: { strategy, breaks: [] }, crashes: true, budget: budgetFor(orders), seed: 7, expect: false });
        expect(r.schedules).toBeGreaterThan(0);
        if (r.violation) broken.push(`${scenario.file}: ${r.violation.run.findings.map((f) => `${f.invariant}: ${f.message}`).join('; ')}`);
      }
      expect(broken).toEqual([]);
    }, 120_000);
  }
});
