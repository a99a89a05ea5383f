/** Issue 10 item 14: every command's --help ends with examples and lists the global options. */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandPath } from '../../src/cli/main.js';
import { runCli } from '../helpers.js';

const io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} };
const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
const paths = all(buildProgram(io, () => {})).map(commandPath);

describe('--help', () => {
  it('covers every command of the registry', () => {
    expect(paths).toEqual(expect.arrayContaining(['', 'inventory set', 'order create', 'work', 'check', 'serve', 'simulate', 'jobs retry']));
    expect(paths.length).toBeGreaterThanOrEqual(18);
  });

  for (const path of paths) {
    it(`warehouse ${path || '(no command)'} --help shows examples of itself${path ? ' and the global options' : ''}`, async () => {
      const r = await runCli([...path.split(' ').filter(Boolean), '--help']);
      expect(r.code).toBe(0);
      const examples = r.stdout.split('\nExamples:\n')[1];
      expect(examples, r.stdout).toBeDefined();
      const lines = examples!.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(1);
      for (const line of lines) expect(line).toMatch(/^ {2}\$ warehouse /);
      // each example runs this command (the program's own show several)
      if (path) expect(lines.some((l) => l.replace(/ --json| --db \S+/g, '').startsWith(`  $ warehouse ${path}`))).toBe(true);
      if (path) {
        const global = r.stdout.split('\nGlobal Options:\n')[1];
        expect(global, r.stdout).toBeDefined();
        for (const flag of ['--database <file|url>', '--db <file|url>', '--json', '--no-color', '--supplier-url <url>']) expect(global).toContain(flag);
      }
    });
  }
});
