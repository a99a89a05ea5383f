/**
 * The build's two bundles (scripts/bundle-deps.mjs, written by `npm run build`):
 * dist/adapters/sqlite/drizzle.bundle.cjs — the built SQLite adapter takes drizzle from that one
 * file, not from drizzle-orm's 134 CommonJS files, and builds the same SQL with it as src/ does
 * with drizzle-orm's own entries; dist/kit/zod.bundle.cjs — the build's zod, not the package's 95
 * ES modules. (`order create`'s output, `serve`'s OpenAPI document and validation answers through
 * the bundles are the CLI's and HTTP's tests: test/cli runs bin/warehouse.js, the build.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as srcDrizzle from '../../src/adapters/sqlite/drizzle.js';
import { migrate } from '../../src/adapters/sqlite/open.js';
import * as srcSchema from '../../src/adapters/sqlite/schema.js';
import { prepareStatements as srcPrepare } from '../../src/adapters/sqlite/statements.js';

const root = join(import.meta.dirname, '..', '..');
const dist = join(root, 'dist', 'adapters', 'sqlite');
const bundle = join(dist, 'drizzle.bundle.cjs');
const zodBundle = join(root, 'dist', 'kit', 'zod.bundle.cjs');

type Prepared = Record<string, { getQuery(): { sql: string } }>;

/** each hot statement's SQL, prepared on a migrated in-memory database by the given drizzle, schema and statements */
function sqlOf(drizzle: typeof srcDrizzle.drizzle, schema: Record<string, unknown>, prepare: (db: never) => object): Record<string, string> {
  const sqlite = new Database(':memory:');
  try {
    migrate(sqlite, 'auto');
    const statements = prepare(drizzle(sqlite, { schema }) as never) as Prepared;
    return Object.fromEntries(Object.entries(statements).map(([name, s]) => [name, s.getQuery().sql]));
  } finally {
    sqlite.close();
  }
}

/** Runs `code` (an ES module) in a Node process of its own: Vitest's module runner defines `require`, which drizzle.ts takes for drizzle-kit's. */
function node(code: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: root });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the drizzle bundle of the build', () => {
  it('is written by the build and is what the built adapter loads', () => {
    expect(existsSync(bundle), 'dist/adapters/sqlite/drizzle.bundle.cjs: run `npm run build`').toBe(true);
    const built = JSON.parse(
      node(`const d = await import(${JSON.stringify(pathToFileURL(join(dist, 'drizzle.js')).href)});
console.log(JSON.stringify({ source: d.drizzleSource, types: Object.fromEntries(Object.entries(d).map(([k, v]) => [k, typeof v])) }));`),
    ) as { source: string; types: Record<string, string> };
    expect(built.source).toBe('bundle');
    expect(built.types).toEqual(Object.fromEntries(Object.entries(srcDrizzle).map(([k, v]) => [k, typeof v])));
  });

  it('loads no file of drizzle-orm, and better-sqlite3 as the package it is', () => {
    const files = JSON.parse(
      node(`import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
require(${JSON.stringify(bundle)});
console.log(JSON.stringify(Object.keys(require.cache)));`),
    ) as string[];
    expect(files).toContain(bundle);
    expect(files.filter((f) => f.includes(join('node_modules', 'drizzle-orm')))).toEqual([]);
    expect(files.some((f) => f.includes(join('node_modules', 'better-sqlite3', 'lib')))).toBe(true);
  });

  it('builds the same SQL for every hot statement as drizzle-orm does', () => {
    const expected = sqlOf(srcDrizzle.drizzle, srcSchema, srcPrepare as (db: never) => object);
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    const url = (file: string) => JSON.stringify(pathToFileURL(join(dist, file)).href);
    const built = JSON.parse(
      node(`import Database from 'better-sqlite3';
const { drizzle, drizzleSource } = await import(${url('drizzle.js')});
const schema = await import(${url('schema.js')});
const { migrate } = await import(${url('open.js')});
const { prepareStatements } = await import(${url('statements.js')});
if (drizzleSource !== 'bundle') throw new Error(drizzleSource);
const sqlite = new Database(':memory:');
migrate(sqlite, 'auto');
const statements = prepareStatements(drizzle(sqlite, { schema }));
console.log(JSON.stringify(Object.fromEntries(Object.entries(statements).map(([name, s]) => [name, s.getQuery().sql]))));`),
    ) as Record<string, string>;
    expect(built).toEqual(expected);
  });

  it("gives the build one zod, from its bundle, and loads no module of zod's package", () => {
    expect(existsSync(zodBundle), 'dist/kit/zod.bundle.cjs: run `npm run build`').toBe(true);
    const seen = JSON.parse(
      node(`import { createRequire } from 'node:module';
const { z, zodSource } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist', 'kit', 'zod.js')).href)});
const require = createRequire(import.meta.url);
const schema = z.strictObject({ qty: z.number().int().min(1) });
const r = schema.safeParse({ qty: 0, extra: 1 });
console.log(JSON.stringify({ zodSource, files: Object.keys(require.cache), issues: r.error.issues.map((i) => i.code + ' ' + i.message) }));`),
    ) as { zodSource: string; files: string[]; issues: string[] };
    expect(seen.zodSource).toBe('bundle');
    expect(seen.files).toEqual([zodBundle]);
    // English messages, as the package's (its locale is set when the first schema is made)
    expect(seen.issues).toEqual(['too_small Too small: expected number to be >=1', 'unrecognized_keys Unrecognized key: "extra"']);
  });
});
