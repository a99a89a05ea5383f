/**
 * Statements sent together in one round trip (connection.ts `send`, the driver's pipeline mode): a
 * transaction whose BEGIN goes with its first statements and whose COMMIT goes with its last must
 * behave as the same statements sent one at a time — each with a snapshot taken when it starts,
 * a failure rolling back all before it, and the pooled connection left as it was found.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createPool, inTransaction, poolConfig, send } from '../../src/adapters/postgres/connection.js';
import { tempSchema } from '../helpers.js';
import { dropSchemas, PG_TEST_URL, pgQuery } from './support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A pool of one connection (every transaction reuses it) on a fresh schema with a table `t`. */
async function setUp() {
  const schema = tempSchema();
  const name = `h_pipe_${schema}`;
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('application_name', name);
  await pgQuery(PG_TEST_URL, 'public', `CREATE SCHEMA "${schema}"`);
  cleanups.push(() => dropSchemas([schema]));
  await pgQuery(PG_TEST_URL, schema, 'CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)');
  const pool = createPool({ url: url.toString(), schema, poolSize: 1 });
  cleanups.push(() => pool.end());
  const rows = async () => (await pgQuery(PG_TEST_URL, schema, 'SELECT id, v FROM t ORDER BY id')).map((r) => `${r.id}:${r.v}`);
  return { schema, name, pool, rows };
}

describe('statements sent together (send)', () => {
  it('BEGIN with the first statements and COMMIT with the last: one transaction, committed, the connection idle after', async () => {
    const { pool, rows } = await setUp();
    const client = await pool.connect();
    try {
      const answers = await inTransaction(
        client,
        async () => {
          const [a, b] = await send(client, [
            { name: 'ins', text: 'INSERT INTO t (id, v) VALUES ($1, $2)', values: [1, 'a'] },
            { text: 'SELECT count(*)::int AS n, txid_current() AS tx FROM t', values: [] },
          ]);
          expect(a!.rowCount).toBe(1);
          const [c] = await send(client, [{ name: 'ins_tx', text: 'INSERT INTO t (id, v) VALUES ($1, $2) RETURNING txid_current() AS tx', values: [2, 'b'] }], {
            commit: true,
          });
          return { first: b!.rows[0], last: c!.rows[0] };
        },
        { lazyBegin: true },
      );
      // both in the one transaction the BEGIN sent with the first opened
      expect(answers.first).toMatchObject({ n: 1 });
      expect(answers.last!.tx).toBe(answers.first!.tx);
      expect(client.getTransactionStatus()).toBe('I');
      // and the client answers one query at a time again
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      client.release();
    }
    expect(await rows()).toEqual(['1:a', '2:b']);
  });

  it('a statement that fails with COMMIT behind it rolls back the whole transaction; the pooled connection serves the next one', async () => {
    const { pool, rows } = await setUp();
    const failing = async () => {
      const client = await pool.connect();
      try {
        await inTransaction(
          client,
          async () => {
            await send(client, [{ text: 'INSERT INTO t (id, v) VALUES (1, $1)', values: ['kept?'] }]);
            // 22012: the statement fails after the insert above went through
            await send(client, [{ text: 'SELECT 1 / (SELECT count(*)::int FROM t WHERE id = 99) AS x', values: [] }], { commit: true });
          },
          { lazyBegin: true },
        );
      } finally {
        client.release();
      }
    };
    await expect(failing()).rejects.toMatchObject({ code: '22012' });
    expect(await rows()).toEqual([]);
    const client = await pool.connect();
    try {
      expect(client.getTransactionStatus()).toBe('I');
      await inTransaction(client, async () => {
        await send(client, [{ text: 'INSERT INTO t (id, v) VALUES (2, $1)', values: ['next'] }], { commit: true });
      });
    } finally {
      client.release();
    }
    expect(await rows()).toEqual(['2:next']);
  });

  it('a statement behind one that waits for a row lock reads what the lock holder committed', async () => {
    const { schema, name, pool } = await setUp();
    await pgQuery(PG_TEST_URL, schema, `INSERT INTO t (id, v) VALUES (1, 'one')`);
    const holder = new pg.Client(poolConfig({ url: PG_TEST_URL, schema }));
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM t WHERE id = 1 FOR UPDATE');
    await holder.query(`INSERT INTO t (id, v) VALUES (2, 'written under the lock')`);
    const client = await pool.connect();
    try {
      const read = inTransaction(
        client,
        async () => {
          const [locked, after] = await send(client, [
            { text: 'SELECT id FROM t WHERE id = 1 FOR UPDATE', values: [] },
            { text: 'SELECT v FROM t WHERE id = 2', values: [] },
          ]);
          return { locked: locked!.rows, after: after!.rows };
        },
        { lazyBegin: true },
      );
      // the lock statement is seen waiting before the holder commits
      for (let i = 0; ; i++) {
        const r = await holder.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name]);
        if (r.rows[0].n > 0) break;
        if (i > 500) throw new Error('the pipelined lock never waited');
        await new Promise((res) => setTimeout(res, 10));
      }
      await holder.query('COMMIT');
      expect(await read).toEqual({ locked: [{ id: 1 }], after: [{ v: 'written under the lock' }] });
    } finally {
      client.release();
    }
  });
});
