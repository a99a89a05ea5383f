/**
 * The Mermaid bundle `simulate --diagram` renders with is vendored (docs/decisions.md says why):
 * it is where src/sim/svg.ts looks, unchanged since scripts/vendor-mermaid.sh fetched it, and the
 * release vendor/mermaid/VERSION names.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MERMAID_BUNDLE } from '../../src/sim/svg.js';
import { ROOT } from '../helpers.js';

const DIR = join(ROOT, 'vendor', 'mermaid');

describe('vendor/mermaid', () => {
  it('holds the bundle svg.ts loads, with its licence', () => {
    expect(MERMAID_BUNDLE).toBe(join(DIR, 'mermaid.min.js'));
    expect(existsSync(MERMAID_BUNDLE)).toBe(true);
    expect(readFileSync(join(DIR, 'LICENSE'), 'utf8')).toMatch(/^The MIT License/);
  });

  it('is byte for byte what scripts/vendor-mermaid.sh fetched (SHA256SUMS)', () => {
    const sums = readFileSync(join(DIR, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.map((l) => l.split(/\s+/)[1]).sort()).toEqual(['LICENSE', 'mermaid.min.js']);
    for (const line of sums) {
      const [sum, file] = line.split(/\s+/) as [string, string];
      const actual = createHash('sha256')
        .update(readFileSync(join(DIR, file)))
        .digest('hex');
      expect(actual, file).toBe(sum);
    }
  });

  it('is the Mermaid release VERSION names, a Mermaid 11', () => {
    const version = readFileSync(join(DIR, 'VERSION'), 'utf8').trim();
    expect(version).toMatch(/^11\.\d+\.\d+$/);
    expect(readFileSync(MERMAID_BUNDLE, 'utf8')).toContain(`"${version}"`);
  });
});
