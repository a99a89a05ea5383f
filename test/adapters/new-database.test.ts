/**
 * drizzle/new-database.sql (src/adapters/sqlite/open.ts): a new file gets the migrations' end state
 * in one script instead of the 11 migrations one by one. This file writes that script from the
 * migrations — after `npm run db:generate`, run it with `-u` to rewrite the script — and checks
 * that a file made by it is the file the migrations make.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applyNewDatabaseScript, migrate, NEW_DATABASE_SCRIPT, openDatabase } from '../../src/adapters/sqlite/open.js';
import { tempDb } from '../helpers.js';

const migrated = (how: 'auto' | 'migrations') => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, how);
  return db;
};

/** The rows the migrations leave in a new database, but for their bookkeeping: made again by the script, not copied. */
const SEED_ROWS = [
  // drizzle/0006_relay.sql: the database's identity, random for each database
  "INSERT INTO `engine_meta` (`key`, `value`) VALUES ('instance', lower(hex(randomblob(16))));",
];

/** The script, from a database the migrations made: their objects in the order they were made, their bookkeeping, the seed rows. */
function scriptOf(db: Database.Database): string {
  const objects = db
    .prepare(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY rowid`)
    .pluck()
    .all() as string[];
  const bookkeeping = db.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id').all() as Array<{ hash: string; created_at: number }>;
  const sequences = db.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY name').all() as Array<{ name: string; seq: number }>;
  const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return [
    '-- The end state of drizzle/0000…, in one script, for a new file (src/adapters/sqlite/open.ts).',
    '-- Written by test/adapters/new-database.test.ts from the migrations: do not edit; after',
    '-- `npm run db:generate`, run `npx vitest run --project all test/adapters/new-database.test.ts -u`.',
    ...objects.map((sql) => `${sql};`),
    ...bookkeeping.map((m) => `INSERT INTO __drizzle_migrations (hash, created_at) VALUES (${text(m.hash)}, ${m.created_at});`),
    ...sequences.map((s) => `INSERT INTO sqlite_sequence (name, seq) VALUES (${text(s.name)}, ${s.seq});`),
    ...SEED_ROWS,
    '',
  ].join('\n');
}

/** What a database is made of: its objects, bookkeeping, sequences and rows (the identity's value aside). */
function contentsOf(db: Database.Database) {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
  return {
    objects: db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
    rows: Object.fromEntries(
      tables.map((t) => [
        t,
        db
          .prepare(`SELECT * FROM "${t}"`)
          .all()
          .map((r) => (t === 'engine_meta' ? { ...(r as object), value: '(random)' } : r)),
      ]),
    ),
    userVersion: db.pragma('user_version', { simple: true }),
  };
}

const journal = () =>
  (JSON.parse(readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: Array<{ when: number }> }).entries.map(
    (e) => e.when,
  );

describe('the new-database script', () => {
  it('is what the migrations make (rewrite it with -u after a new migration)', async () => {
    const db = migrated('migrations');
    const rows = contentsOf(db).rows;
    // the migrations insert no rows but their bookkeeping and the identity: anything else would need adding to SEED_ROWS
    expect(
      Object.entries(rows)
        .filter(([, r]) => r.length > 0)
        .map(([t]) => t),
    ).toEqual(['__drizzle_migrations', 'engine_meta', 'sqlite_sequence']);
    expect(rows.engine_meta).toEqual([{ key: 'instance', value: '(random)' }]);
    await expect(scriptOf(db)).toMatchFileSnapshot('../../drizzle/new-database.sql');
  });

  it('makes the database the migrations make, with an identity of its own', () => {
    const byMigrations = migrated('migrations');
    const byScript = migrated('auto');
    expect(contentsOf(byScript)).toEqual(contentsOf(byMigrations));
    expect(byScript.pragma('foreign_key_check')).toEqual([]);
    expect(byScript.pragma('integrity_check', { simple: true })).toBe('ok');
    const identity = (db: Database.Database) => db.prepare(`SELECT value FROM engine_meta WHERE key = 'instance'`).pluck().get() as string;
    expect(identity(byScript)).toMatch(/^[0-9a-f]{32}$/);
    expect(identity(byScript)).not.toBe(identity(migrated('auto')));
  });

  it('is what a new file gets, and the migrations one by one what an older file gets', async () => {
    // made in one go, the objects' rowids run 1…n; the migrations' dropped tables leave gaps
    const inOneGo = (db: Database.Database) => db.prepare('SELECT MAX(rowid) = COUNT(*) FROM sqlite_master').pluck().get() === 1;
    expect(inOneGo(migrated('migrations'))).toBe(false);
    const file = tempDb();
    const db = await openDatabase({ file });
    expect(inOneGo(db)).toBe(true);
    expect(contentsOf(db)).toEqual(contentsOf(migrated('migrations')));
    db.close();
    // a file half-way (its first migration only) is migrated on, never given the script
    const older = new Database(tempDb());
    older.exec('CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)');
    const first = readFileSync(new URL('../../drizzle/0000_init.sql', import.meta.url), 'utf8').replaceAll('--> statement-breakpoint', '');
    older.exec(first);
    older.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('0000', journal()[0]);
    migrate(older);
    expect(inOneGo(older)).toBe(false);
    expect(contentsOf(older).objects).toEqual(contentsOf(migrated('migrations')).objects);
    older.close();
  });

  it('is used only if its bookkeeping is the journal, on a database with nothing in it; else nothing of it stays', () => {
    const script = readFileSync(NEW_DATABASE_SCRIPT, 'utf8');
    const empty = () => {
      const db = new Database(':memory:');
      db.exec('CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)');
      return db;
    };
    const objects = (db: Database.Database) => db.prepare('SELECT COUNT(*) FROM sqlite_master').pluck().get();
    // a migration added since the script was written
    const behind = empty();
    expect(applyNewDatabaseScript(behind, script, [...journal(), Date.UTC(2030, 0, 1)])).toBe(false);
    expect(objects(behind)).toBe(1);
    // a script that does not run (broken, or from elsewhere)
    const broken = empty();
    expect(applyNewDatabaseScript(broken, `${script}\nCREATE TABLE orders (id INTEGER);`, journal())).toBe(false);
    expect(objects(broken)).toBe(1);
    // a database with something in it already
    const used = empty();
    used.exec('CREATE TABLE mine (x)');
    expect(applyNewDatabaseScript(used, script, journal())).toBe(false);
    expect(objects(used)).toBe(2);
    // and the script itself, on an empty one
    expect(applyNewDatabaseScript(empty(), script, journal())).toBe(true);
  });
});
