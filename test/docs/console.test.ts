/** The console-block runner itself (test/docs/console.ts): parsing, masking, matching, and that it catches a wrong document. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { mask, matches, normalise, parseConsoleBlocks, runMarkdown } from './console.js';

describe('the console-block runner', () => {
  it('parses commands, continuation lines, expected output and directives', () => {
    const md = [
      'text',
      '```console',
      '$ npx warehouse inventory set A 1',
      'A on hand: 1',
      '$ echo one \\',
      '  two',
      'one two',
      '```',
      '<!-- console-test: skip -->',
      '```console',
      '$ npx warehouse serve',
      '```',
      '```sh',
      '$ not a console block',
      '```',
    ].join('\n');
    expect(parseConsoleBlocks(md)).toEqual([
      {
        line: 2,
        directive: null,
        commands: [
          { line: 3, cmd: 'npx warehouse inventory set A 1', expected: ['A on hand: 1'] },
          { line: 5, cmd: 'echo one \n  two', expected: ['one two'] },
        ],
      },
      { line: 10, directive: 'skip', commands: [{ line: 11, cmd: 'npx warehouse serve', expected: [] }] },
    ]);
    expect(() => parseConsoleBlocks('<!-- console-test: later -->\n```console\n$ x\n```')).toThrow(/unknown console-test directive "later"/);
  });

  it('masks times, dates, sub-second durations, UUIDs and the database id in supplier keys, and nothing else', () => {
    expect(mask('ref=R.order-2.3f9c1a7e52b04d18.WIDGET order-12 order-3.abc')).toBe('ref=R.order-2.################.WIDGET order-12 order-3.abc');
    expect(mask('22:24:39.392   +0.016s  OrderCreated  after 0.016s')).toBe('##:##:##.###   +#.###s  OrderCreated  after #.###s');
    expect(mask('"createdAt":"2026-11-25T23:08:05.041Z" │ 2026-11-25 22:24:38.775 │')).toBe(
      '"createdAt":"####-##-##T##:##:##.###Z" │ ####-##-## ##:##:##.### │',
    );
    expect(mask('+45.000s supplierChecks=3 #2 id 6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab')).toBe(
      '+45.000s supplierChecks=3 #2 id ########-####-####-####-############',
    );
  });

  it('matches … as any lines, or any text within a line', () => {
    expect(matches(['a', '…', 'z'], ['a', 'b', 'c', 'z'])).toBe(true);
    expect(matches(['a', '…', 'z'], ['a', 'z'])).toBe(true);
    expect(matches(['a', '…', 'z'], ['a', 'b'])).toBe(false);
    expect(matches(['{"id":3,…,"events":[…]}'], ['{"id":3,"x":1,"events":[1,2]}'])).toBe(true);
    expect(matches(['{"id":3,…}'], ['{"id":4,"x":1}'])).toBe(false);
    expect(matches(['a.b'], ['axb'])).toBe(false);
    expect(normalise(['x   ', '', ''])).toEqual(['x']);
  });

  it('runs a document on a fresh database and reports the command whose output differs', async () => {
    const dir = tempDir();
    const file = join(dir, 'doc.md');
    writeFileSync(
      file,
      [
        '```console',
        '$ npx warehouse inventory set WIDGET 10',
        'WIDGET on hand: 10',
        '$ npx warehouse order create --sku widget --qty 3 | tail -1',
        'order #1 WIDGET × 3: reserved supplierChecks=0 after 0.001s',
        '$ npx warehouse inventory list --json | head -1',
        'this line is wrong',
        '```',
        '<!-- console-test: skip -->',
        '```console',
        '$ npx warehouse no-such-command',
        '```',
      ].join('\n'),
    );
    const r = await runMarkdown(file);
    expect(r.commands).toBe(3);
    expect(r.mismatches).toEqual([{ where: `${file}:6`, cmd: 'npx warehouse inventory list --json | head -1', expected: 'this line is wrong', actual: '[' }]);
  });
});
