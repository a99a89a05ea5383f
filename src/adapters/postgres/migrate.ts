/**
 * Applying drizzle-kit's PostgreSQL migrations (`drizzle-pg/`) to the backend's schema, in one
 * transaction holding a transaction-level advisory lock named after the schema: two processes
 * starting at once on a new schema migrate it once (the second waits, then finds nothing to do).
 * The bookkeeping table has the shape of drizzle's own migrator's, inside the schema.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { readMigrationFiles } from 'drizzle-orm/migrator';

/** `drizzle-pg/` sits at the package root, three levels above src/adapters/postgres and dist/adapters/postgres. */
export const PG_MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'drizzle-pg');
const TABLE = '__drizzle_migrations';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Returns how many migrations this call applied (0 when the schema was up to date). */
export async function migrate(pool: pg.Pool, schema: string): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_FOLDER });
  const latest = migrations.at(-1)?.folderMillis ?? 0;
  const table = `${ident(schema)}.${TABLE}`;
  const client = await pool.connect();
  const lastApplied = async (): Promise<number> => {
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    if (!exists.rows[0]?.t) return 0;
    const r = await client.query<{ last: string | null }>(`SELECT max(created_at)::text AS last FROM ${table}`);
    return Number(r.rows[0]?.last ?? 0);
  };
  try {
    // the common case, a schema already up to date, takes no lock
    if ((await lastApplied()) >= latest) return 0;
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`warehouse:migrate:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
      const last = await lastApplied();
      let applied = 0;
      for (const m of migrations) {
        if (m.folderMillis <= last) continue;
        // one round trip per migration (the simple protocol runs several statements in one query)
        await client.query(m.sql.filter((stmt) => stmt.trim()).join('\n'));
        await client.query(`INSERT INTO ${table} (hash, created_at) VALUES ($1, $2)`, [m.hash, m.folderMillis]);
        applied++;
      }
      await client.query('COMMIT');
      return applied;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}
