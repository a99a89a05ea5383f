/**
 * The PostgreSQL side of the test helpers: the server the tests use (DATABASE_URL, default the
 * local one), raw queries on a schema, the invariants' audit (docs/design.md §6) through a connection of its own, and
 * dropping the schemas a test file created. Every test schema is created and dropped by its test
 * file, so runs never see each other's rows.
 */
import pg from 'pg';
import { auditPostgres } from '../../src/adapters/postgres/audit.js';
import { openPgConnection, poolConfig } from '../../src/adapters/postgres/connection.js';

import { PG_TEST_URL, TEST_SCHEMA_PREFIX } from './url.js';

export { PG_TEST_URL };

/** `null` when the test server answers; otherwise why not (one line). */
export async function pgUnavailable(url = PG_TEST_URL): Promise<string | null> {
  const client = new pg.Client({ ...poolConfig({ url }), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function pgQuery(url: string, schema: string, text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client(poolConfig({ url, schema }));
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

/** `warehouse check`'s rules on a schema, as "rule: message" lines. */
export async function pgInvariants(url: string, schema: string): Promise<string[]> {
  const c = openPgConnection({ url, schema, poolSize: 1 });
  try {
    return (await auditPostgres(c)).map((v) => `${v.rule}: ${v.message}`);
  } finally {
    await c.close();
  }
}

export async function dropSchemas(names: string[], url = PG_TEST_URL): Promise<void> {
  if (names.length === 0) return;
  const client = new pg.Client(poolConfig({ url }));
  await client.connect();
  try {
    await client.query('SET client_min_messages = warning');
    // a few per statement: one commit for several, without running out of lock slots
    for (let i = 0; i < names.length; i += 10) {
      await client.query(
        `DROP SCHEMA IF EXISTS ${names
          .slice(i, i + 10)
          .map((n) => `"${n}"`)
          .join(', ')} CASCADE`,
      );
    }
  } finally {
    await client.end();
  }
}

/** Drops the test schemas left by test processes that are gone (a run killed before its cleanup). */
export async function dropOrphanSchemas(url = PG_TEST_URL): Promise<number> {
  const client = new pg.Client(poolConfig({ url }));
  await client.connect();
  let names: string[];
  try {
    const r = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)`, [TEST_SCHEMA_PREFIX]);
    names = r.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const orphans = names.filter((n) => {
    const pid = Number(n.slice(TEST_SCHEMA_PREFIX.length).split('_')[0]);
    return Number.isInteger(pid) && pid > 0 && !alive(pid);
  });
  await dropSchemas(orphans, url);
  return orphans.length;
}
