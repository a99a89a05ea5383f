import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/sim/loader.js';
import { replay } from '../../src/sim/runner.js';
import { ROOT } from '../helpers.js';

const dir = join(ROOT, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

/**
 * A virtual run reaches the mock through the direct transport (docs/decisions.md, issue 24); a
 * real-time process through msw/node's interception of fetch. Both must give the same story.
 */
describe('the mock transports give the same outcome on every scenario of the library', () => {
  it('has scenarios to compare', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s', async (file) => {
    const loaded = await loadScenarioFile(join(dir, file));
    if (!loaded.ok) throw new Error(`${file}: ${loaded.problems.map((p) => p.message).join('; ')}`);
    const direct = await replay(loaded.scenario, { mockTransport: 'direct' });
    const intercepted = await replay(loaded.scenario, { mockTransport: 'intercept' });
    expect(direct.supplierCalls.length).toBe(intercepted.supplierCalls.length);
    expect(direct).toEqual(intercepted);
  });
});
