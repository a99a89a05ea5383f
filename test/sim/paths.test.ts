/**
 * Issue 10 item 12: `simulate` takes directories, skips what is not a scenario file, and warns
 * about (or, with --strict, fails) a scenario that checks nothing.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers.js';

const library = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const unchecked = `name: checks nothing
inventory: { W: 1 }
steps:
  - at: 0s
    order: { id: a, sku: W, qty: 1 }
`;

describe('simulate: which files it reads', () => {
  it('runs the .yaml files of a directory, in name order, as if they were listed', async () => {
    const r = await runCli(['simulate', 'scenarios/']);
    expect(r.code).toBe(0);
    const ran = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('✓'))
      .map((l) => /\((.*)\)$/.exec(l)![1]);
    expect(ran).toEqual(library.map((f) => `scenarios/${f}`));
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`${library.length} passed, 0 failed`);
  });

  it('skips a file that is not .yaml or .yml with a note (scenarios/* matches README.md), and runs the rest', async () => {
    const all = readdirSync(join(ROOT, 'scenarios')).map((f) => `scenarios/${f}`);
    expect(all).toContain('scenarios/README.md');
    const r = await runCli(['simulate', ...all]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim()).toBe('scenarios/README.md: not a scenario file (only .yaml and .yml files are read), skipped');
    // scenarios/* also names the directory scenarios/lessons/, whose files run as a directory's do
    const lessons = readdirSync(join(ROOT, 'scenarios', 'lessons')).filter((f) => f.endsWith('.yaml'));
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`${library.length + lessons.length} passed, 0 failed`);
  });

  it('reads .yml as well; exits 2 when nothing is left to run', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one.yml'), `${unchecked}expect:\n  inventory: { W: 0 }\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
    mkdirSync(join(dir, 'empty'));
    const r = await runCli(['simulate', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ checks nothing (${join(dir, 'one.yml')})`);
    const none = await runCli(['simulate', join(dir, 'notes.txt'), join(dir, 'empty')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`${join(dir, 'empty')}: a directory with no .yaml or .yml file, skipped`);
    expect(none.stderr).toMatch(/error: no scenario file to run: give \.yaml or \.yml files, or a directory holding them/);
  });
});

describe('simulate: a scenario that checks nothing', () => {
  const dir = tempDir();
  const file = join(dir, 'unchecked.yaml');
  writeFileSync(file, unchecked);
  const empty = join(dir, 'empty-expect.yaml');
  writeFileSync(empty, `${unchecked}expect:\n  orders: { a: {} }\n`);

  it('passes with a warning saying nothing was checked', async () => {
    const r = await runCli(['simulate', file, empty]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `✓ checks nothing (${file})`,
      '    warning: no expectations: nothing was checked (add `expect:`)',
      `✓ checks nothing (${empty})`,
      '    warning: no expectations: nothing was checked (add `expect:`)',
      '2 scenario(s) passed with a warning; --strict makes them fail',
      '2 passed, 0 failed',
      '',
    ]);
    const j = await runCli(['--json', 'simulate', file]);
    expect(JSON.parse(j.stdout).scenarios[0]).toMatchObject({ passed: true, failures: [], warnings: ['no expectations: nothing was checked (add `expect:`)'] });
  });

  it('fails under --strict (exit 1), in the human, JSON and JUnit reports', async () => {
    const r = await runCli(['simulate', '--strict', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('    expect: expected at least one expectation (--strict), got none');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
    const xml = join(dir, 'out.xml');
    const j = await runCli(['--json', 'simulate', '--strict', file, '--junit', xml]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ passed: 0, failed: 1, scenarios: [{ passed: false, failures: [{ path: 'expect', actual: 'none' }] }] });
    expect(readFileSync(xml, 'utf8')).toContain('<failure message="expect: expected at least one expectation (--strict), got none" type="expectation">');
    // the library itself passes under --strict: every story checks something
    const lib = await runCli(['simulate', '--strict', 'scenarios/']);
    expect(lib.code).toBe(0);
  });
});
