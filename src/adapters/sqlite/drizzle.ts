/**
 * drizzle, for the SQLite adapter, loaded as CommonJS (`require`): from one file bundled at build
 * time when there is one, else from drizzle-orm's own CommonJS build.
 *
 * Why CommonJS: Node 22.12+ and 24 re-read a package's `exports` from its package.json for every
 * ES module of the package they load, and drizzle-orm's package.json is 179 KB: importing
 * drizzle's 112 ES modules took ~0.36 s of CPU on Node 22.23 against ~0.07 s through `require`
 * (on Node 20 the two cost the same, ~0.07 s). A CLI command paid it at every start
 * (docs/performance.md, start-up).
 *
 * Why a bundle: drizzle-orm's CommonJS entries load 134 files, 43 of them its PostgreSQL column
 * types (its relations.cjs and sql.cjs require pg-core for one `is()` check each): ~270 M
 * instructions at every start. `npm run build` (and `prepare`) writes
 * dist/adapters/sqlite/drizzle.bundle.cjs next to this file's build (scripts/bundle-deps.mjs:
 * esbuild, from drizzle's ES build, tree-shaken), ~45 M. Where it is absent (src/ under tsx or
 * Vitest, an install without the dev dependencies) the entries below are required as they are.
 *
 * The types are the ES build's (the same declarations); every value of the adapter comes from
 * here, so the process holds one drizzle, not two builds. drizzle-kit (`npm run db:generate`)
 * loads schema.ts as CommonJS, where `require` already exists and `import.meta.url` does not:
 * hence the fallback order below; it uses drizzle-orm's entries.
 */
import { createRequire } from 'node:module';

const load: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url);

type Orm = typeof import('drizzle-orm');
type SqliteCore = typeof import('drizzle-orm/sqlite-core');
type BetterSqlite3 = typeof import('drizzle-orm/better-sqlite3');

/** the bundle's path, when this is the build and the bundle was written */
function bundlePath(): string | null {
  if (typeof require === 'function') return null;
  try {
    return load.resolve('./drizzle.bundle.cjs');
  } catch {
    return null;
  }
}

const bundle = bundlePath();
const one = bundle === null ? null : (load(bundle) as Orm & SqliteCore & BetterSqlite3);
const orm: Orm = one ?? (load('drizzle-orm') as Orm);
const core: SqliteCore = one ?? (load('drizzle-orm/sqlite-core') as SqliteCore);
const driver: BetterSqlite3 = one ?? (load('drizzle-orm/better-sqlite3') as BetterSqlite3);

/** where this process's drizzle comes from: the build's bundle, or drizzle-orm's own entries */
export const drizzleSource: 'bundle' | 'drizzle-orm' = one === null ? 'drizzle-orm' : 'bundle';
export const { and, asc, count, desc, eq, getTableColumns, gt, inArray, isNull, lt, lte, or, sql } = orm;
/** drizzle's classes that src/adapters/sqlite/lean.ts reads prepared queries with */
export const { is, Param, Placeholder, SQL } = orm;
export const { check, index, integer, sqliteTable, text, uniqueIndex } = core;
export const { drizzle } = driver;
/** drizzle's migration reader, loaded when a file is behind the journal (it brings `node:crypto`: ~4 ms at every start) */
export const readMigrationFiles: typeof import('drizzle-orm/migrator').readMigrationFiles = (config) =>
  (load('drizzle-orm/migrator') as typeof import('drizzle-orm/migrator')).readMigrationFiles(config);
