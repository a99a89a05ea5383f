/**
 * The layers of docs/architecture.md, checked by machine (dependency-cruiser with
 * .dependency-cruiser.cjs): the tree keeps them, and each rule fires on a tree that breaks it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

function cruise(cwd: string): { code: number | null; out: string } {
  const r = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A small tree of its own, with files at these paths (contents: their imports). */
function tree(files: Record<string, string>): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the layers', () => {
  it('hold in the tree: domain pure, app on ports, adapters in their folders, edges through wiring', () => {
    const r = cruise(ROOT);
    expect(r.out).toMatch(/no dependency violations found/);
    expect(r.code).toBe(0);
  });

  it.each([
    ['domain-is-pure', { 'src/domain/a.ts': "import { x } from '../app/b.ts';\nexport const a = x;\n", 'src/app/b.ts': 'export const x = 1;\n' }],
    [
      'app-knows-only-ports',
      { 'src/app/a.ts': "import { x } from '../adapters/sqlite/b.ts';\nexport const a = x;\n", 'src/adapters/sqlite/b.ts': 'export const x = 1;\n' },
    ],
    [
      'edges-reach-adapters-through-wiring',
      { 'src/http/a.ts': "import { x } from '../adapters/sqlite/b.ts';\nexport const a = x;\n", 'src/adapters/sqlite/b.ts': 'export const x = 1;\n' },
    ],
    [
      'adapters-stay-in-their-folder',
      { 'src/adapters/pg/a.ts': "import { x } from '../sqlite/b.ts';\nexport const a = x;\n", 'src/adapters/sqlite/b.ts': 'export const x = 1;\n' },
    ],
    ['ports-are-interfaces', { 'src/ports/a.ts': "import { x } from '../app/b.ts';\nexport const a = x;\n", 'src/app/b.ts': 'export const x = 1;\n' }],
  ])('catch a tree that breaks %s', (rule, files) => {
    const r = cruise(tree(files));
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(rule);
  });

  it('are part of `npm run lint`, with Biome', () => {
    const pkg = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./package.json").scripts)'], { cwd: ROOT, encoding: 'utf8' })) as Record<
      string,
      string
    >;
    expect(pkg.lint).toContain('lint:deps');
    expect(pkg['lint:deps']).toContain('depcruise src --config .dependency-cruiser.cjs');
  });
});
