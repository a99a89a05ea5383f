/**
 * The contract every MockState keeps (memory, SQLite, PostgreSQL): the conversation rules of
 * docs/design.md §5.3, per-order scripts and their announcements, and, for stored kinds, two openers of one
 * storage (two processes) sharing one conversation. Each test file calls `describeMockState` with
 * its kinds: test/adapters/supplier-state.test.ts (memory, SQLite), test/postgres/ (PostgreSQL).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MockState } from '../../src/ports/mock-state.js';

export interface MockStateKind {
  name: string;
  /** a fresh state; `again()` opens another one on the same storage (null: not shareable) */
  open(): Promise<{ state: MockState; again: (() => Promise<MockState>) | null }>;
}

const opened: MockState[] = [];
/** closed after the test */
export const track = (s: MockState) => (opened.push(s), s);

export const NOW = 1_000;
export const req = (n: number, sku = 'WIDGET', qty = 2) => ({ key: `order-${n}`, sku, qty });
/** the answers of successive reserve calls with one key */
export async function reserves(state: MockState, r: ReturnType<typeof req>, times: number) {
  const out: string[] = [];
  for (let i = 0; i < times; i++) {
    const t = await state.reserve(r, NOW + i, 0);
    out.push(t.kind === 'answer' ? `${t.answer}${t.replay ? '(replay)' : ''}` : t.kind);
  }
  return out;
}
export async function statuses(state: MockState, ref: string, times: number) {
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push((await state.status(ref, NOW + i))?.answer ?? 'unknown');
  return out;
}

/** The contract suite, once per kind. */
export function describeMockState(kinds: MockStateKind[]): void {
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  describe.each(kinds)('MockState ($name)', (kind) => {
    const fresh = async () => {
      const { state, again } = await kind.open();
      track(state);
      return { state, again: again && (async () => track(await again())) };
    };

    it("starts each order's conversation at the top of its SKU's script, * for other SKUs, the default without one", async () => {
      const { state } = await fresh();
      await state.putScripts({ WIDGET: { reserve: ['error', 'accepted'], status: ['delayed', 'ok'] }, '*': { reserve: 'rejected' } }, NOW);
      expect(await reserves(state, req(1), 2)).toEqual(['error', 'accepted']);
      expect(await reserves(state, req(2), 2)).toEqual(['error', 'accepted']);
      expect(await reserves(state, req(3, 'GADGET'), 1)).toEqual(['rejected']);
      await state.putScripts({ '*': null }, NOW);
      expect(await reserves(state, req(4, 'GADGET'), 1)).toEqual(['accepted']);
      expect(await statuses(state, 'R.order-4.GADGET', 2)).toEqual(['ok', 'ok']);
      expect(await statuses(state, 'R.order-1.WIDGET', 4)).toEqual(['delayed', 'ok', 'ok', 'ok']);
    });

    it('binds a key to its first final answer: transient answers bind nothing, later calls replay it with the same ref', async () => {
      const { state } = await fresh();
      await state.putScripts({ WIDGET: { reserve: ['timeout', 'malformed', 'error', 'accepted', 'rejected'] } }, NOW);
      expect(await reserves(state, req(1), 6)).toEqual(['timeout', 'malformed', 'error', 'accepted', 'accepted(replay)', 'accepted(replay)']);
      const [conv] = await state.conversations({ key: 'order-1' });
      expect(conv).toMatchObject({ outcome: 'accepted', ref: 'R.order-1.WIDGET', reservePos: 4 });
      await state.putScripts({ GADGET: { reserve: ['rejected', 'accepted'] } }, NOW);
      expect(await reserves(state, req(2, 'GADGET'), 3)).toEqual(['rejected', 'rejected(replay)', 'rejected(replay)']);
      expect(await state.status('R.order-2.GADGET', NOW)).toBeNull();
    });

    it('refuses a key used again with another body, changing nothing', async () => {
      const { state } = await fresh();
      await state.reserve(req(1), NOW, 0);
      expect((await state.reserve(req(1, 'WIDGET', 3), NOW, 0)).kind).toBe('mismatch');
      expect((await state.reserve(req(1, 'GADGET', 2), NOW, 0)).kind).toBe('mismatch');
      const [conv] = await state.conversations();
      expect(conv).toMatchObject({ sku: 'WIDGET', qty: 2, reservePos: 1, outcome: 'accepted' });
      expect(conv!.calls.map((c) => c.answer)).toEqual(['accepted', 'mismatch', 'mismatch']);
    });

    it('knows no ref it never gave', async () => {
      const { state } = await fresh();
      expect(await state.status('R.order-9.WIDGET', NOW)).toBeNull();
    });

    it("restarts the conversations that follow a SKU's script when it changes, and keeps them when it is stored unchanged", async () => {
      const { state } = await fresh();
      await state.putScripts({ WIDGET: { status: ['delayed', 'delayed', 'ok'] } }, NOW);
      await state.reserve(req(1), NOW, 0);
      expect(await statuses(state, 'R.order-1.WIDGET', 1)).toEqual(['delayed']);
      await state.putScripts({ WIDGET: { status: ['delayed', 'delayed', 'ok'] } }, NOW); // same script: no change
      expect(await statuses(state, 'R.order-1.WIDGET', 1)).toEqual(['delayed']);
      await state.putScripts({ WIDGET: { status: ['fail', 'ok'] } }, NOW); // the mood changes: next answer is the top
      expect(await statuses(state, 'R.order-1.WIDGET', 2)).toEqual(['fail', 'ok']);
    });

    it("gives an order its own script, announced before the order exists and bound to its key after; other orders keep the SKU's", async () => {
      const { state } = await fresh();
      await state.putScripts({ WIDGET: { status: ['ok'] } }, NOW);
      const id = await state.announceOrderScript('WIDGET', { status: ['delayed', 'fail'] }, NOW);
      expect(await state.bindOrderScript(id, 'order-1')).toBe(true);
      await state.reserve(req(1), NOW, 0);
      await state.reserve(req(2), NOW, 0);
      expect(await statuses(state, 'R.order-1.WIDGET', 3)).toEqual(['delayed', 'fail', 'fail']);
      expect(await statuses(state, 'R.order-2.WIDGET', 1)).toEqual(['ok']);
      await state.putScripts({ WIDGET: { status: ['delayed'] } }, NOW); // a new SKU script does not touch it
      expect(await statuses(state, 'R.order-1.WIDGET', 1)).toEqual(['fail']);
      const views = await state.conversations();
      expect(views.map((v) => [v.key, v.script.source, v.script.status])).toEqual([
        ['order-1', 'order', ['delayed', 'fail']],
        ['order-2', 'sku', ['delayed']],
      ]);
    });

    it('holds back a new conversation of a SKU while an announced order script for it is unbound and recent', async () => {
      const { state } = await fresh();
      const id = await state.announceOrderScript('WIDGET', { reserve: 'rejected' }, NOW);
      expect((await state.reserve(req(1), NOW, NOW - 3_000)).kind).toBe('wait');
      expect((await state.reserve(req(2, 'GADGET'), NOW, NOW - 3_000)).kind).toBe('answer'); // another SKU goes on
      expect((await state.reserve(req(3), NOW, NOW + 1)).kind).toBe('answer'); // too old to wait for
      await state.bindOrderScript(id, 'order-1');
      expect(await reserves(state, req(1), 1)).toEqual(['rejected']);
      const other = await state.announceOrderScript('WIDGET', {}, NOW);
      await state.withdrawOrderScript(other);
      expect((await state.reserve(req(4), NOW, NOW - 3_000)).kind).toBe('answer');
    });

    it('reports a binding that came after the conversation started', async () => {
      const { state } = await fresh();
      const id = await state.announceOrderScript('WIDGET', { reserve: 'rejected' }, NOW);
      await state.reserve(req(1), NOW, NOW + 1);
      expect(await state.bindOrderScript(id, 'order-1')).toBe(false);
    });

    it('lists each conversation with its calls in order', async () => {
      const { state } = await fresh();
      await state.putScripts({ WIDGET: { reserve: ['error', 'accepted'], status: ['delayed', 'ok'] } }, NOW);
      await reserves(state, req(1), 3);
      await statuses(state, 'R.order-1.WIDGET', 2);
      const [conv] = await state.conversations();
      expect(conv!.calls.map((c) => `${c.kind}:${c.answer}${c.replay ? '*' : ''}`)).toEqual([
        'reserve:error',
        'reserve:accepted',
        'reserve:accepted*',
        'status:delayed',
        'status:ok',
      ]);
      expect(conv!.calls.map((c) => c.at)).toEqual([NOW, NOW + 1, NOW + 2, NOW, NOW + 1]);
    });
  });

  // a memory state lives in one process: only stored kinds can be shared
  const shared = kinds.filter((k) => k.name !== 'memory');
  if (shared.length)
    describe.each(shared)('MockState ($name) across processes', (kind) => {
      it('shares one conversation between two openers of the same storage, as two processes would', async () => {
        const { state, again } = await kind.open();
        track(state);
        const reopen = async () => track(await again!());
        await state.putScripts({ WIDGET: { reserve: ['error', 'accepted'], status: ['delayed', 'delayed', 'ok'] } }, NOW);
        const other = await reopen();
        expect(await reserves(state, req(1), 1)).toEqual(['error']);
        expect(await reserves(other, req(1), 1)).toEqual(['accepted']);
        expect(await reserves(state, req(1), 1)).toEqual(['accepted(replay)']);
        expect(await statuses(other, 'R.order-1.WIDGET', 1)).toEqual(['delayed']);
        await other.close();
        opened.splice(opened.indexOf(other), 1);
        const third = await reopen(); // reopened later: nothing forgotten
        expect(await statuses(third, 'R.order-1.WIDGET', 2)).toEqual(['delayed', 'ok']);
        // an announcement in one is seen by the other
        const id = await third.announceOrderScript('GADGET', { reserve: 'rejected' }, NOW);
        expect((await state.reserve(req(2, 'GADGET'), NOW, NOW - 1)).kind).toBe('wait');
        await third.bindOrderScript(id, 'order-2');
        expect(await reserves(state, req(2, 'GADGET'), 1)).toEqual(['rejected']);
      });
    });
}
