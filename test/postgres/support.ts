/**
 * The PostgreSQL side of the test helpers: the server the tests use (DATABASE_URL, default the
 * local one), raw queries on a schema, the DESIGN §8 audit through a connection of its own, and
 * dropping the schemas a test file created. Every test schema is created and dropped by its test
 * file, so runs never see each other's rows.
 */
import pg from 'pg';
import { auditPostgres } from '../../src/adapters/postgres/audit.js';
import { openPgConnection, poolConfig } from '../../src/adapters/postgres/connection.js';

import { PG_TEST_URL } from './url.js';

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
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
