// Writes two bundles next to tsc's output, each one CommonJS file made by esbuild from the
// package's ES build (run by `npm run build` and `prepare`, after tsc):
//   dist/adapters/sqlite/drizzle.bundle.cjs  the drizzle values the SQLite adapter uses
//     (src/adapters/sqlite/drizzle.ts), tree-shaken (drizzle-orm declares `sideEffects: false`):
//     its CommonJS entries load 134 files (550 KB), 43 of them its PostgreSQL column types
//     (relations.cjs and sql.cjs require pg-core for an `is()` check), ~270 M instructions at every
//     start of a SQLite command; the bundle is one file of ~170 KB, ~45 M.
//   dist/kit/zod.bundle.cjs  zod's `z` (src/kit/zod.ts): 95 ES modules, ~250 M instructions and
//     Node 20's ES loader's wait for each file; the bundle is one file, ~140 M.
// (docs/performance.md, start-up, fifth round.) Without esbuild (`npm install --omit=dev`),
// nothing is written (a bundle left by an earlier build is removed) and the shims load the
// packages as before: slower, the same values.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const BUNDLES = [
  {
    outfile: join(root, 'dist', 'adapters', 'sqlite', 'drizzle.bundle.cjs'),
    // the names of drizzle.ts (test/architecture/bundles.test.ts checks the bundle has each of them)
    entry: `export { and, asc, count, desc, eq, getTableColumns, gt, inArray, isNull, lt, lte, or, sql, is, Param, Placeholder, SQL } from 'drizzle-orm';
export { check, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
export { drizzle } from 'drizzle-orm/better-sqlite3';
`,
    // the native module stays a package of its own (its addon, its own require)
    external: ['better-sqlite3'],
    minifyWhitespace: false,
  },
  {
    outfile: join(root, 'dist', 'kit', 'zod.bundle.cjs'),
    entry: `export { z } from 'zod';\n`,
    external: [],
    // no comments and indentation: less for V8 to scan at every start (~20 M instructions; the
    // same for drizzle's bundle cost ~70 M more in `order create`, so that one stays as written)
    minifyWhitespace: true,
    // zod's namespace re-exports its 61 locales (`z.locales`, 340 KB of source): nothing of ours
    // names one (kit/zod.ts types `z` without them, and English, zod's default, is a module of its
    // own that schemas.js imports), so the bundle has an empty namespace there: ~40 M instructions
    plugins: [
      {
        name: 'no-locales-namespace',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => ({ path: args.path, namespace: 'no-locales' }));
          build.onLoad({ filter: /.*/, namespace: 'no-locales' }, () => ({ contents: 'export {};\n', loader: 'js' }));
        },
      },
    ],
  },
];

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  for (const { outfile } of BUNDLES) if (existsSync(outfile)) rmSync(outfile);
  console.log('bundle-deps: esbuild is not installed (a dev dependency): drizzle and zod are loaded from their packages');
  process.exit(0);
}

for (const { outfile, entry, external, minifyWhitespace, plugins = [] } of BUNDLES) {
  await esbuild.build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'entry.mjs', loader: 'js' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    plugins,
    outfile,
    minifyWhitespace,
    legalComments: 'inline',
    logLevel: 'warning',
  });
}
