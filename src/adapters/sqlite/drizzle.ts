/**
 * drizzle, for the SQLite adapter, loaded as CommonJS (`require`), its own build for that.
 *
 * Why: Node 22.12+ and 24 re-read a package's `exports` from its package.json for every ES module
 * of the package they load, and drizzle-orm's package.json is 179 KB: importing drizzle's 112
 * ES modules took ~0.36 s of CPU on Node 22.23 against ~0.07 s through `require` (on Node 20 the
 * two cost the same, ~0.07 s). A CLI command paid it at every start (docs/performance.md,
 * start-up). The types are the ES build's (the same declarations); every value of the adapter
 * comes from here, so the process holds one drizzle, not both builds.
 *
 * drizzle-kit (`npm run db:generate`) loads schema.ts as CommonJS, where `require` already exists
 * and `import.meta.url` does not: hence the fallback order below.
 */
import { createRequire } from 'node:module';

const load: NodeJS.Require = typeof require === 'function' ? require : createRequire(import.meta.url);

const orm = load('drizzle-orm') as typeof import('drizzle-orm');
export const { and, asc, count, desc, eq, gt, inArray, isNull, lt, lte, or, sql } = orm;
export const { check, index, integer, sqliteTable, text, uniqueIndex } = load('drizzle-orm/sqlite-core') as typeof import('drizzle-orm/sqlite-core');
export const { drizzle } = load('drizzle-orm/better-sqlite3') as typeof import('drizzle-orm/better-sqlite3');
/** drizzle's migration reader, loaded when a file is behind the journal (it brings `node:crypto`: ~4 ms at every start) */
export const readMigrationFiles: typeof import('drizzle-orm/migrator').readMigrationFiles = (config) =>
  (load('drizzle-orm/migrator') as typeof import('drizzle-orm/migrator')).readMigrationFiles(config);
