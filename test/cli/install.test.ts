/**
 * Issue 10 item 15: `warehouse` outside the clone. `npm link` puts a symlink to bin/warehouse.js
 * on the PATH; run through it from any directory, the CLI must find its dist/ and migrations.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir, type CliResult } from '../helpers.js';

/** Runs an executable (a symlink to the bin) directly, as a shell would, in `cwd`. */
function run(file: string, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_DB: undefined, WAREHOUSE_SUPPLIER_URL: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function worksFrom(bin: string): Promise<void> {
  const cwd = tempDir();
  const set = await run(bin, ['inventory', 'set', 'WIDGET', '10'], cwd);
  expect(set, set.stderr).toMatchObject({ code: 0, stdout: 'WIDGET on hand: 10\n' });
  // the migrations ran on a new ./warehouse.db in the current directory, not in the clone
  expect(existsSync(join(cwd, 'warehouse.db'))).toBe(true);
  const order = await run(bin, ['--json', 'order', 'create', '--sku', 'WIDGET', '--qty', '3', '--clock', 'virtual'], cwd);
  expect(order.code, order.stderr).toBe(0);
  expect(JSON.parse(order.stdout)).toMatchObject({ id: 1, status: 'reserved' });
}

describe('warehouse outside the clone', () => {
  it('runs through a symlink to bin/warehouse.js from another directory', async () => {
    const dir = tempDir();
    const link = join(dir, 'warehouse');
    symlinkSync(BIN, link);
    await worksFrom(link);
  });

  // npm itself takes seconds to start and link; on a busy machine, more than the default 30 s
  it('runs as installed by `npm link` (into a private prefix, offline)', { timeout: 90_000 }, async () => {
    const prefix = tempDir();
    const r = spawnSync('npm', ['link', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: ROOT,
      env: { ...process.env, npm_config_prefix: prefix },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'warehouse');
    expect(existsSync(bin)).toBe(true);
    await worksFrom(bin);
  });

  it('says what to do, without a stack trace, when dist/ has not been built', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    copyFileSync(BIN, join(dir, 'bin', 'warehouse.js'));
    const r = await run(process.execPath, [join(dir, 'bin', 'warehouse.js'), '--help'], tempDir());
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: warehouse cannot start: it is not built (no dist/)\nrun \`npm install\` in ${dir}/ (it installs the dependencies and builds dist/)\n`,
    );
  });
});
