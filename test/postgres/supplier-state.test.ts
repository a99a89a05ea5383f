/**
 * The MockState contract (test/adapters/supplier-state.contract.ts) on PostgreSQL, each test on a
 * schema of its own, two states on one schema standing for two processes (a pool each); and what is
 * the PostgreSQL state's own: tables apart from the engine's migrations, in the schema the URL
 * picks, created once by openers racing, and answers in script order under concurrent calls.
 */
import { describe, expect, it } from 'vitest';
import { openPostgresBackend } from '../../src/adapters/postgres/index.js';
import { openPostgresMockState } from '../../src/adapters/postgres/mock-state.js';
import { DatabaseError } from '../../src/domain/errors.js';
import type { StatusScriptAnswer } from '../../src/domain/supplier-script.js';
import { describeMockState, NOW, req, track, type MockStateKind } from '../adapters/supplier-state.contract.js';
import { tempSchema } from '../helpers.js';
import { PG_TEST_URL, pgQuery } from './support.js';

const open = (schema: string) => openPostgresMockState({ url: PG_TEST_URL, schema });

const kinds: MockStateKind[] = [
  {
    name: 'postgres',
    open: async () => {
      const schema = tempSchema();
      return { state: await open(schema), again: () => open(schema) };
    },
  },
];

describeMockState(kinds);

const tablesOf = async (schema: string) =>
  (await pgQuery(PG_TEST_URL, schema, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [schema])).map((r) => r.tablename);

describe('the PostgreSQL mock state in the engine database', () => {
  it("keeps to tables of its own in the engine's schema, apart from the engine's migrations", async () => {
    const schema = tempSchema();
    const backend = await openPostgresBackend({ url: PG_TEST_URL, schema, poolSize: 2 });
    const before = await tablesOf(schema);
    const state = track(await open(schema));
    await state.reserve(req(1), NOW, 0);
    const added = (await tablesOf(schema)).filter((t) => !before.includes(t));
    expect(added).toEqual(['mock_calls', 'mock_conversations', 'mock_meta', 'mock_order_scripts', 'mock_scripts']);
    expect(before.some((t) => String(t).startsWith('mock_'))).toBe(false);
    expect(await pgQuery(PG_TEST_URL, schema, 'SELECT idempotency_key, kind, answer FROM mock_calls')).toEqual([
      { idempotency_key: 'order-1', kind: 'reserve', answer: 'accepted' },
    ]);
    // the engine's own tables know nothing of it
    expect(await backend.store.audit()).toEqual([]);
    await backend.close();
  });

  it('keeps two schemas apart, even for the same Idempotency-Key', async () => {
    const [a, b] = [track(await open(tempSchema())), track(await open(tempSchema()))];
    await a.putScripts({ WIDGET: { reserve: 'rejected' } }, NOW);
    expect(await a.reserve(req(1), NOW, 0)).toMatchObject({ answer: 'rejected' });
    expect(await b.reserve(req(1), NOW, 0)).toMatchObject({ answer: 'accepted', replay: false });
    expect(await b.listScripts()).toEqual([]);
  });

  it('creates its tables once when several processes open a new schema at the same moment', async () => {
    const schema = tempSchema();
    const states = (await Promise.all(Array.from({ length: 6 }, () => open(schema)))).map(track);
    await Promise.all(states.map((s, i) => s.reserve(req(i), NOW, 0)));
    expect((await states[0]!.conversations()).map((c) => c.key).sort()).toEqual(['order-0', 'order-1', 'order-2', 'order-3', 'order-4', 'order-5']);
  });

  it('answers calls that two processes send at once in script order: one reserve answer per key, each status once', async () => {
    const schema = tempSchema();
    const [one, two] = [track(await open(schema)), track(await open(schema))];
    const status: StatusScriptAnswer[] = ['delayed', 'error', 'delayed', 'fail', 'delayed', 'ok'];
    await one.putScripts({ WIDGET: { reserve: ['error', 'error', 'accepted'], status } }, NOW);
    // 12 reserves of one key at once, half from each: the script's three answers once each, then replays
    const reserves = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? one : two).reserve(req(1), NOW + i, 0)));
    const answers = reserves.map((t) => (t.kind === 'answer' ? `${t.answer}${t.replay ? '*' : ''}` : t.kind));
    expect(answers.filter((a) => !a.endsWith('*')).sort()).toEqual(['accepted', 'error', 'error']);
    expect(answers.filter((a) => a === 'accepted*')).toHaveLength(9);
    // the status script's answers, each once, from 6 calls at once
    const checks = await Promise.all(status.map((_, i) => (i % 2 ? one : two).status('R.order-1.WIDGET', NOW + 100 + i)));
    expect(checks.map((t) => t!.answer).sort()).toEqual([...status].sort());
    // in the order the state recorded them: the script's order
    const [conv] = await two.conversations({ key: 'order-1' });
    expect(conv!.calls.filter((c) => c.kind === 'status').map((c) => c.answer)).toEqual(status);
    expect(conv!.calls.filter((c) => c.kind === 'reserve' && !c.replay).map((c) => c.answer)).toEqual(['error', 'error', 'accepted']);
    expect(conv).toMatchObject({ reservePos: 3, statusPos: 6, outcome: 'accepted' });
  });

  it('starts a conversation with the script bound to its key, or says the binding came too late, when the two race', async () => {
    const schema = tempSchema();
    const [creator, worker] = [track(await open(schema)), track(await open(schema))];
    for (let n = 1; n <= 20; n++) {
      const id = await creator.announceOrderScript('WIDGET', { reserve: 'rejected' }, NOW);
      // the worker does not wait for the announcement (pendingAfter in the future): it races the binding
      const [inTime, turn] = await Promise.all([creator.bindOrderScript(id, `order-${n}`), worker.reserve(req(n), NOW, NOW + 1)]);
      expect(turn).toMatchObject({ kind: 'answer', answer: inTime ? 'rejected' : 'accepted' });
    }
  });

  it('fails with a DatabaseError that names the server when it cannot be reached', async () => {
    const error = await openPostgresMockState({ url: 'postgres://postgres@127.0.0.1:1/test', schema: tempSchema() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({
      fault: 'unavailable',
      message: expect.stringMatching(/^cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test/),
    });
  });
});
