/**
 * A Vitest reporter that ends the run with its ten slowest test files (each file's time in its
 * worker: importing it and running its tests and hooks), so that a slow file is seen when it
 * appears. vitest.config.ts lists it after the default and JSON reporters.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

const SHOWN = 10;

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => ({ file: relative(process.cwd(), m.moduleId), project: m.project.name, ms: m.diagnostic().collectDuration + m.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SHOWN);
    if (rows.length === 0) return;
    const lines = rows.map((r) => `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file}${r.project ? ` (${r.project})` : ''}`);
    process.stdout.write(`\nthe ${rows.length} slowest test files:\n${lines.join('\n')}\n`);
  }
}
