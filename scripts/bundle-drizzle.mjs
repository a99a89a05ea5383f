// Writes dist/adapters/sqlite/drizzle.bundle.cjs: the drizzle values the SQLite adapter uses
// (src/adapters/sqlite/drizzle.ts), bundled by esbuild from drizzle-orm's ES build, tree-shaken
// (drizzle-orm declares `sideEffects: false`), as one CommonJS file. Run by `npm run build` and
// `prepare`, after tsc.
//
// Why: drizzle-orm's CommonJS entries load 134 files (550 KB), 43 of them its PostgreSQL column
// types (relations.cjs and sql.cjs require pg-core for an `is()` check), ~270 M instructions at
// every start of a SQLite command; the bundle is one file of ~170 KB, ~45 M (docs/performance.md,
// start-up, fifth round). Without esbuild (`npm install --omit=dev`), nothing is written and
// drizzle.ts requires drizzle-orm's own entries, as before: slower, the same values.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'adapters', 'sqlite', 'drizzle.bundle.cjs');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // no stale bundle of another drizzle left behind
  if (existsSync(outfile)) rmSync(outfile);
  console.log('bundle-drizzle: esbuild is not installed (a dev dependency): the SQLite adapter requires drizzle-orm unbundled');
  process.exit(0);
}

// the names of drizzle.ts (test/adapters/drizzle-bundle.test.ts checks the bundle has each of them)
const ENTRY = `export { and, asc, count, desc, eq, gt, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
export { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
export { drizzle } from 'drizzle-orm/better-sqlite3';
`;

await esbuild.build({
  stdin: { contents: ENTRY, resolveDir: root, sourcefile: 'drizzle-entry.mjs', loader: 'js' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // the native module stays a package of its own (its addon, its own require)
  external: ['better-sqlite3'],
  outfile,
  legalComments: 'inline',
  logLevel: 'warning',
});
