/**
 * Issue 10 item 10: following the documents literally gives what they show. Every Markdown file
 * with ```console blocks (the README, docs/*.md, scenarios/README.md) is run in order on a fresh
 * database by test/docs/console.ts and compared, volatile parts masked.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentsWithConsoleBlocks, ROOT, runMarkdown } from './console.js';

const documents = documentsWithConsoleBlocks();

describe('the console examples of the documentation', () => {
  it('include the README', () => {
    expect(documents).toContain('README.md');
  });

  for (const doc of documents) {
    it(`${doc}: every console block, run in order on a fresh database, prints what it shows`, { timeout: 180_000 }, async () => {
      const r = await runMarkdown(join(ROOT, doc));
      expect(r.commands).toBeGreaterThan(0);
      expect(r.mismatches).toEqual([]);
    });
  }
});
