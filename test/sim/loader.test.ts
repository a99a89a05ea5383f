import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/sim/loader.js';
import { formatProblem } from '../../src/sim/model.js';
import { ALIAS_BOMB, FIRST_ALIAS } from './alias-bomb.js';

/** The problems of a file, as the CLI prints them. */
function problems(text: string): string[] {
  const r = loadScenario('s.yaml', text);
  if (r.ok) throw new Error('expected the file to be refused');
  return r.problems.map(formatProblem);
}

const ok = (text: string) => {
  const r = loadScenario('s.yaml', text);
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.scenario;
};

describe('scenario loader', () => {
  it('loads a valid file, normalising SKUs and durations', () => {
    const s = ok(`name: n
settings: { checkDelay: 5s, maxDelayedRetries: 1, backoffBase: 500ms }
inventory: { widget: 2 }
supplier:
  Widget: { reserve: accepted, status: delayed }
steps:
  - at: 1m
    order: { id: a, sku: " widget ", qty: 3, count: 2 }
expect:
  orders: { a.2: { settledAt: 1.5s } }
  inventory: { WIDGET: 0 }
`);
    expect(s.inventory).toEqual({ WIDGET: 2 });
    expect(s.supplier).toEqual({ WIDGET: { reserve: ['accepted'], status: ['delayed'] } });
    expect(s.settings).toEqual({ checkDelayMs: 5000, maxDelayedRetries: 1, backoffBaseMs: 500 });
    expect(s.steps).toEqual([{ kind: 'order', at: 60_000, label: 'a', sku: 'WIDGET', qty: 3, lines: null, count: 2 }]);
    expect(s.expect.orders).toEqual({ 'a.2': { settledAt: 1500 } });
  });

  it('reports an unknown key at the key, suggesting the nearest known one', () => {
    expect(
      problems(`name: n
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 1 }
expect:
  orders:
    a: { stauts: reserved }
`),
    ).toEqual(['s.yaml:7:10: unknown key "stauts" in expect.orders.a; did you mean "status"? (expected status, supplierChecks, failureReason, settledAt)']);
  });

  // issue 18 defect 6: the yaml library's guard threw, and the CLI called the file a bug
  it('reports an alias bomb at its first alias, as bad input (nothing thrown)', () => {
    expect(problems(ALIAS_BOMB)).toEqual([
      `s.yaml:${FIRST_ALIAS}: YAML: the aliases (*name) from here on expand to more than 100 copies of anchored values, as an alias bomb does; write the values out, or repeat fewer of them`,
    ]);
  });

  it('still takes a few aliases, as a file that shares one script between SKUs has', () => {
    const s = ok(`name: shared
supplier:
  A: &slow { status: [delayed, ok] }
  B: *slow
  C: *slow
steps:
  - at: 0s
    order: { id: a, sku: A, qty: 1 }
`);
    expect(s.supplier).toMatchObject({ A: { status: ['delayed', 'ok'] }, B: { status: ['delayed', 'ok'] }, C: { status: ['delayed', 'ok'] } });
  });

  it('reports a bad duration with the expected form', () => {
    const [p] = problems(`name: n
steps:
  - at: 15
    order: { id: a, sku: W, qty: 1 }
`);
    expect(p).toBe('s.yaml:3:9: expected a duration such as 500ms, 15s, 1m or 2h (got 15) [steps[0].at]');
  });

  it('reports a negative and a fractional qty, each at its value', () => {
    expect(
      problems(`name: n
steps:
  - at: 0s
    order: { id: a, sku: W, qty: -1 }
  - at: 0s
    restock: { sku: W, qty: 1.5 }
`),
    ).toEqual([
      's.yaml:4:34: qty must be a whole number from 1 to 1,000,000 (got -1) [steps[0].order.qty]',
      's.yaml:6:29: qty must be a whole number from 1 to 1,000,000 (got 1.5) [steps[1].restock.qty]',
    ]);
  });

  it('reports a duplicate order label at the second id', () => {
    expect(
      problems(`name: n
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 1 }
  - at: 1s
    order: { id: a, sku: W, qty: 2, count: 3 }
`),
    ).toEqual(['s.yaml:6:18: duplicate order label "a": each order step needs its own id']);
  });

  it('reports expectations naming a label or SKU that no step creates', () => {
    expect(
      problems(`name: n
steps:
  - at: 0s
    order: { id: burst, sku: WIDGET, qty: 1, count: 3 }
expect:
  orders: { burst.4: { status: reserved }, brust: { status: failed } }
  inventory: { WIDGT: 0 }
  movements:
    WIDGET: [{ type: reservation, qty: -1, order: x }]
`),
    ).toEqual([
      's.yaml:6:13: order label "burst.4" is not created by any step; did you mean "burst"? (the steps create burst.1…burst.3)',
      's.yaml:6:44: order label "brust" is not created by any step; did you mean "burst"? (the steps create burst.1…burst.3)',
      's.yaml:7:16: no step or opening inventory uses SKU WIDGT; did you mean WIDGET? (known: WIDGET)',
      's.yaml:9:51: order label "x" is not created by any step (the steps create burst.1…burst.3)',
    ]);
  });

  it('reports a supplier answer that does not exist, with the likely one', () => {
    expect(
      problems(`name: n
supplier:
  W: { reserve: acepted, status: [delayed, okay] }
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 1 }
`),
    ).toEqual([
      's.yaml:3:17: not a supplier reserve answer: use one of accepted, rejected, error, timeout, malformed (got acepted); did you mean "accepted"? [supplier.W.reserve[0]]',
      's.yaml:3:44: not a supplier status answer: use one of ok, fail, delayed, error, timeout, malformed (got okay); did you mean "ok"? [supplier.W.status[1]]',
    ]);
  });

  it('reports a missing required key at the map that lacks it', () => {
    expect(
      problems(`steps:
  - at: 0s
    order: { sku: W, qty: 1 }
`),
    ).toEqual([
      's.yaml:1:1: missing "name": name is required: a short title for the scenario',
      "s.yaml:3:12: missing \"id\" in steps[0].order: a label is 1-64 letters, digits, '_' or '-' (a '.' is kept for burst members such as b.1)",
    ]);
  });

  it('reports steps out of time order and a step that does two things', () => {
    expect(
      problems(`name: n
steps:
  - at: 10s
    order: { id: a, sku: W, qty: 1 }
  - at: 5s
    restock: { sku: W, qty: 1 }
    set: { sku: W, onHand: 1 }
`),
    ).toEqual(['s.yaml:5:5: a step does one thing: it has restock and set; split it into 2 steps [steps[1]]']);
    expect(
      problems(`name: n
steps:
  - at: 10s
    order: { id: a, sku: W, qty: 1 }
  - at: 5s
    restock: { sku: W, qty: 1 }
`),
    ).toEqual(['s.yaml:5:9: steps must be in time order: this step at 5s comes after one at 10s']);
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    expect(problems(`name: n\nname: m\nsteps: []\n`)[0]).toMatch(/^s\.yaml:2:1: YAML: Map keys must be unique/);
    expect(problems(`name: n\nsteps: [\n`)[0]).toMatch(/^s\.yaml:\d+:\d+: YAML: /);
  });

  it('reports a bad SKU key in the opening inventory', () => {
    expect(
      problems(`name: n
inventory: { "no spaces": 1 }
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 1 }
`),
    ).toEqual([`s.yaml:2:14: "no spaces" is not a SKU: a SKU is 1-64 characters of A-Z, 0-9, '.', '_' or '-', starting with a letter or digit`]);
  });
});
