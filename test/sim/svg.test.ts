/**
 * `simulate --diagram` also writes each diagram as SVG (Mermaid in headless Chromium), for slides
 * and print; without a browser it says so and writes the Markdown alone.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserTestsRun } from '../dashboard/browser.js';
import { ROOT, runCli, tempDir } from '../helpers.js';

const scenario = join(ROOT, 'scenarios', 'delayed-twice.yaml');

describe.runIf(browserTestsRun('the SVG diagram test'))('simulate --diagram with Chromium', () => {
  it('writes the Markdown and, beside it, the diagram rendered as SVG', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const r = await runCli(['simulate', scenario, '--diagram', join(dir, 'flow.md')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const svg = readFileSync(join(dir, 'flow.svg'), 'utf8');
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
    expect(svg).toContain('aria-roledescription="sequence"');
    for (const text of ['supplier', 'time 45s', 'CheckSupplierStatus a (check 3)', 'a reserved']) expect(svg).toContain(text);
    expect(readFileSync(join(dir, 'flow.md'), 'utf8')).toContain('Rendered: [flow.svg](flow.svg)');
  });

  it('names one SVG per scenario after its file when there are several', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const r = await runCli(['simulate', scenario, join(ROOT, 'scenarios', 'supplier-rejects.yaml'), '--diagram', join(dir, 'slides.md')]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['slides-delayed-twice.svg', 'slides-supplier-rejects.svg', 'slides.md']);
  });
});

describe('simulate --diagram without SVG', () => {
  it('--no-svg writes the Markdown only', async () => {
    const dir = tempDir();
    const r = await runCli(['simulate', scenario, '--diagram', join(dir, 'flow.md'), '--no-svg']);
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['flow.md']);
  });

  it('without Chromium, writes the Markdown and says how to get the SVG', async () => {
    const dir = tempDir();
    const r = await runCli(['simulate', scenario, '--diagram', join(dir, 'flow.md')], { env: { WAREHOUSE_CHROMIUM: join(dir, 'no-such-browser') } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'note: no SVG written: no Chromium found (apt-get install chromium, or set WAREHOUSE_CHROMIUM to a Chrome or Chromium executable); --no-svg leaves it out\n',
    );
    expect(existsSync(join(dir, 'flow.svg'))).toBe(false);
    expect(readFileSync(join(dir, 'flow.md'), 'utf8')).not.toContain('Rendered:');
  });
});
