/** src/cli/plain.ts: the CLI's no-colour styling, which stands for chalk at level 0 without loading it. */
import { backgroundColorNames, Chalk, foregroundColorNames, modifierNames } from 'chalk';
import { describe, expect, it } from 'vitest';
import { PLAIN, STYLE_NAMES } from '../../src/cli/plain.js';

const chalk = new Chalk({ level: 0 });
// what a style may be given: one part (coerced), several (joined), none, odd values
const inputs: unknown[][] = [
  ['text'],
  ['a', 'b', 3],
  [],
  [''],
  [42],
  [null],
  [undefined],
  ['line one\nline two'],
  [{ valueOf: () => 'by valueOf', toString: () => 'by toString' }],
];
type Styled = (...parts: unknown[]) => string;
const at = (c: unknown, path: string[]): Styled => path.reduce<unknown>((s, key) => (s as Record<string, unknown>)[key], c) as Styled;

describe('PLAIN (chalk at level 0, unloaded)', () => {
  it("knows every style chalk has (chalk's own lists)", () => {
    expect([...STYLE_NAMES].sort()).toEqual([...modifierNames, ...foregroundColorNames, ...backgroundColorNames].sort());
  });

  const chains = [...STYLE_NAMES.map((s) => [s]), ['bold', 'red'], ['dim', 'italic', 'underline'], ['visible'], ['red', 'visible'], ['visible', 'bold']];
  for (const chain of chains) {
    it(`c.${chain.join('.')}(…) gives what chalk gives`, () => {
      for (const parts of inputs) expect(at(PLAIN, chain)(...parts), JSON.stringify(parts)).toBe(at(chalk, chain)(...parts));
    });
  }

  it('the colour models (hex, rgb, ansi256 and their bg) leave the text as chalk does', () => {
    const models: Array<[string, unknown[]]> = [
      ['hex', ['#ff8800']],
      ['bgHex', ['#000']],
      ['rgb', [1, 2, 3]],
      ['bgRgb', [4, 5, 6]],
      ['ansi256', [100]],
      ['bgAnsi256', [7]],
    ];
    for (const [model, args] of models) {
      const mine = (PLAIN as unknown as Record<string, (...a: unknown[]) => Styled>)[model]!(...args);
      const theirs = (chalk as unknown as Record<string, (...a: unknown[]) => Styled>)[model]!(...args);
      for (const parts of inputs) expect(mine(...parts)).toBe(theirs(...parts));
      expect(at(mine, ['bold'])('x')).toBe(at(theirs, ['bold'])('x'));
    }
  });

  it('the instance itself joins its arguments, and says level 0 at any depth', () => {
    for (const parts of inputs) expect((PLAIN as unknown as Styled)(...parts)).toBe((chalk as unknown as Styled)(...parts));
    expect(PLAIN.level).toBe(0);
    expect(PLAIN.bold.red.level).toBe(0);
    expect(PLAIN.visible.level).toBe(0);
  });
});
