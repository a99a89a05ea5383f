/**
 * The MockState contract (supplier-state.contract.ts) on memory and SQLite, and what is the SQLite
 * state's own: tables apart from the engine's, and waiting for another process's write lock.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteBackend } from '../../src/adapters/sqlite/index.js';
import { createMemoryMockState } from '../../src/adapters/mock-supplier/memory-state.js';
import { openSqliteMockState } from '../../src/adapters/sqlite/mock-state.js';
import { tempDb } from '../helpers.js';
import { describeMockState, NOW, req, track, type MockStateKind } from './supplier-state.contract.js';

const kinds: MockStateKind[] = [
  { name: 'memory', open: async () => ({ state: createMemoryMockState(), again: null }) },
  {
    name: 'sqlite',
    open: async () => {
      const file = tempDb();
      return { state: await openSqliteMockState({ file }), again: () => openSqliteMockState({ file }) };
    },
  },
];

describeMockState(kinds);

describe('the SQLite mock state in the engine file', () => {
  it("keeps to tables of its own, apart from the engine's migrations", async () => {
    const file = tempDb();
    const backend = await openSqliteBackend({ file });
    const raw = new Database(file, { readonly: true });
    const tables = () => raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
    const before = tables();
    const state = track(await openSqliteMockState({ file }));
    await state.reserve(req(1), NOW, 0);
    const after = tables();
    const added = after.filter((t) => !before.includes(t));
    expect(added.sort()).toEqual(['mock_calls', 'mock_conversations', 'mock_meta', 'mock_order_scripts', 'mock_scripts']);
    expect(before.some((t) => t.startsWith('mock_'))).toBe(false);
    expect(await backend.store.audit()).toEqual([]);
    raw.close();
    await backend.close();
  });

  it('opens a file that already has its tables without writing to it', async () => {
    const file = tempDb();
    await (await openSqliteMockState({ file })).close();
    const lock = new Database(file);
    lock.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    const state = track(await openSqliteMockState({ file, busyTimeoutMs: 50 }));
    expect(await state.listScripts()).toEqual([]);
    lock.exec('ROLLBACK');
    lock.close();
  });

  it("waits for another process's write lock without blocking the event loop, and gives up after the busy timeout", async () => {
    const file = tempDb();
    const state = track(await openSqliteMockState({ file, busyTimeoutMs: 2_000 }));
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let done = false;
    const call = state.reserve(req(1), NOW, 0).then((t) => ((done = true), t));
    // the event loop goes on while the call waits: timers fire, the call is still pending
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    other.exec('COMMIT');
    expect((await call).kind).toBe('answer');

    const impatient = track(await openSqliteMockState({ file, busyTimeoutMs: 50 }));
    other.exec('BEGIN IMMEDIATE');
    // the engine's file: its lock is the database's trouble, said as such
    await expect(impatient.reserve(req(2), NOW, 0)).rejects.toMatchObject({ owner: 'database', fault: 'busy' });
    other.exec('ROLLBACK');
    other.close();
  });
});
