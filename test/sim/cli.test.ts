import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAll, runScenarios } from '../../src/sim/index.js';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { unwrap } from '../cli/unwrap.js';
import { ALIAS_BOMB, FIRST_ALIAS } from './alias-bomb.js';

// these tests spawn the built CLI: run `npm run build` first

const dir = tempDir();
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const passing = file(
  'pass.yaml',
  `name: local <stock> & "quotes"
inventory: { W: 2 }
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 2 }
expect:
  orders: { a: { status: reserved } }
`,
);
const failing = file(
  'fail.yaml',
  `name: wrong on purpose
supplier: { W: { reserve: rejected } }
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 1 }
expect:
  orders: { a: { status: reserved, failureReason: null } }
  inventory: { W: 3 }
`,
);
const malformed = file(
  'bad.yaml',
  `name: bad
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 0 }
expect:
  oders: {}
`,
);

describe('warehouse simulate', () => {
  it('exits 1 on a wrong expectation and shows path, expected and actual', async () => {
    const r = await runCli(['simulate', passing, failing]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      `✓ local <stock> & "quotes" (${passing})`,
      `✗ wrong on purpose (${failing})`,
      '    orders.a.status: expected reserved, got failed',
      '    orders.a.failureReason: expected null, got supplier_rejected',
      '    inventory.W: expected 3, got 0',
      '1 passed, 1 failed',
    ]);
  });

  it('exits 2 on a malformed file, pointing at each problem; the other files still run and are reported', async () => {
    const r = await runCli(['simulate', passing, malformed]);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([`✓ local <stock> & "quotes" (${passing})`, '1 passed, 0 failed']);
    expect(r.stderr).toContain(`${malformed}:4:34: qty must be a whole number from 1 to 1,000,000 (got 0)`);
    expect(r.stderr).toContain(`${malformed}:6:3: unknown key "oders" in expect; did you mean "orders"?`);
    expect(r.stderr).toContain('2 problem(s) in 1 file(s), not run: fix them and run again; the other 1 scenario(s) ran');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const both = await runCli(['--json', 'simulate', passing, malformed]);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout)).toMatchObject({
      passed: 1,
      failed: 0,
      scenarios: [{ file: passing, passed: true }],
      problems: [{ file: malformed, line: 4, col: 34 }, { line: 6 }],
    });
    const out = join(dir, 'bad.xml');
    const j = await runCli(['--json', 'simulate', malformed, '--junit', out]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({
      passed: 0,
      failed: 0,
      scenarios: [],
      problems: [
        { file: malformed, line: 4, col: 34 },
        { line: 6, col: 3 },
      ],
    });
    expect(readFileSync(out, 'utf8').match(/<error /g)).toHaveLength(2);
  });

  // issue 18 defect 6: the alias bomb ended the whole run as "internal error … a bug" (exit 1)
  it('reports an alias bomb in a directory as a malformed file at its first alias; every other file still runs', async () => {
    const library = tempDir();
    for (const name of readdirSync(join(ROOT, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .slice(0, 3))
      writeFileSync(join(library, name), readFileSync(join(ROOT, 'scenarios', name)));
    const bomb = join(library, 'laughs.yaml');
    writeFileSync(bomb, ALIAS_BOMB);
    const r = await runCli(['simulate', library]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bomb}:${FIRST_ALIAS}: YAML: the aliases (*name) from here on expand to more than 100 copies`);
    expect(r.stderr).not.toMatch(/internal error|a bug/);
    expect(r.stdout).toMatch(/^3 passed, 0 failed$/m);
    expect(r.stdout.match(/^✓ /gm)).toHaveLength(3);
  });

  it('prints the --json document on stdout', async () => {
    const r = await runCli(['--json', 'simulate', passing, failing]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as unknown;
    expect(doc).toEqual({
      passed: 1,
      failed: 1,
      scenarios: [
        { file: passing, name: 'local <stock> & "quotes"', passed: true, failures: [] },
        {
          file: failing,
          name: 'wrong on purpose',
          passed: false,
          failures: [
            { path: 'orders.a.status', expected: 'reserved', actual: 'failed' },
            { path: 'orders.a.failureReason', expected: null, actual: 'supplier_rejected' },
            { path: 'inventory.W', expected: 3, actual: 0 },
          ],
        },
      ],
    });
  });

  it('writes JUnit XML: a testcase per scenario, a failure per difference, escaped', async () => {
    const out = join(dir, 'junit.xml');
    const r = await runCli(['simulate', passing, failing, '--junit', out]);
    expect(r.code).toBe(1);
    const xml = readFileSync(out, 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml.match(/<failure /g)).toHaveLength(3);
    expect(xml).toMatch(/<testsuite [^>]*tests="2" failures="1" errors="0"/);
    expect(xml).toContain('name="local &lt;stock&gt; &amp; &quot;quotes&quot;"');
    expect(xml).toContain('<failure message="orders.a.status: expected reserved, got failed" type="expectation">');
    // well formed: every element opened is closed, and nothing raw is left in text or attributes
    const stack: string[] = [];
    for (const m of xml.replace(/^<\?xml[^>]*\?>/, '').matchAll(/<(\/?)([a-z]+)([^>]*?)(\/?)>/g)) {
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else if (!m[4]) stack.push(m[2]!);
      expect(m[3]).not.toMatch(/[<&](?!(amp|lt|gt|quot|apos);)/);
    }
    expect(stack).toEqual([]);
  });

  it('prints the timeline and writes a Mermaid diagram', async () => {
    const md = join(dir, 'flow.md');
    const r = await runCli(['simulate', join(ROOT, 'scenarios', 'delayed-twice.yaml'), '--timeline', '--diagram', md, '--no-svg']); // the SVG: svg.test.ts
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/45\.000s\s+\+45\.000s\s+a\s+OrderReserved/);
    expect(unwrap(r.stdout)).toMatch(/15\.000s\s+\+15\.000s\s+a\s+SupplierStatusChecked\s+status=delayed check=1/);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain(
      '```mermaid\nsequenceDiagram\n    participant client\n    participant API\n    participant queue\n    participant job\n    participant supplier\n',
    );
    expect(text).toContain('    supplier-->>job: ok\n');
    expect(text).toContain('    job-->>API: a reserved\n');
    // scenario time, without the `+` that means "since the order's creation" elsewhere
    expect(text).toContain('    Note over client,supplier: time 45s\n');
    expect(text).not.toMatch(/Note over client,supplier: \+/);
  });
});

describe('the scenario library', () => {
  it('replays every story in scenarios/ and each one passes', async () => {
    const files = readdirSync(join(ROOT, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(ROOT, 'scenarios', f));
    expect(files.length).toBeGreaterThanOrEqual(12);
    const { scenarios, problems } = await loadAll(files);
    expect(problems).toEqual([]);
    for (const s of scenarios) expect(s.description, s.file).toBeTruthy();
    const results = await runScenarios(scenarios);
    expect(results.filter((r) => !r.passed).map((r) => ({ file: r.file, failures: r.failures }))).toEqual([]);
  });
});
