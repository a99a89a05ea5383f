/**
 * The mock's state in memory, for engines on ':memory:' (tests, the simulator): the same rules
 * as the stored kinds, gone with the process.
 */
import {
  chooseScript,
  takeCancelTurn,
  takeReserveTurn,
  takeStatusTurn,
  type CallRecord,
  type Conversation,
  type StoredScript,
} from '../../domain/supplier-conversation.js';
import { normalizeScript, type SkuScript } from '../../domain/supplier-script.js';
import type { ConversationView, MockState } from '../../ports/mock-state.js';

interface Announcement {
  sku: string;
  script: SkuScript;
  at: number;
  key: string | null;
}

export function createMemoryMockState(): MockState {
  const scripts = new Map<string, StoredScript>();
  let version = 0;
  const announced = new Map<number, Announcement>();
  let nextAnnouncement = 1;
  const orderScripts = new Map<string, SkuScript>();
  const conversations = new Map<string, Conversation>();
  const byRef = new Map<string, string>();
  const calls = new Map<string, CallRecord[]>();

  const choice = (orderScript: SkuScript | null, sku: string) => chooseScript(orderScript, scripts.get(sku), scripts.get('*'));
  const record = (call: CallRecord) => {
    const list = calls.get(call.key);
    if (list) list.push(call);
    else calls.set(call.key, [call]);
  };
  const pending = (sku: string, after: number) => {
    for (const a of announced.values()) if (a.key === null && a.sku === sku && a.at > after) return true;
    return false;
  };

  return {
    async putScripts(given, now) {
      for (const [sku, script] of Object.entries(given)) {
        if (script === null) {
          if (scripts.delete(sku)) version++;
          continue;
        }
        const old = scripts.get(sku);
        if (old && JSON.stringify(normalizeScript(old.script)) === JSON.stringify(normalizeScript(script))) continue;
        scripts.set(sku, { sku, script, version: ++version, updatedAt: now });
      }
    },
    async listScripts() {
      return [...scripts.values()].sort((a, b) => a.sku.localeCompare(b.sku));
    },

    async announceOrderScript(sku, script, wallNow) {
      const id = nextAnnouncement++;
      announced.set(id, { sku, script, at: wallNow, key: null });
      return id;
    },
    async bindOrderScript(id, key) {
      const a = announced.get(id);
      if (!a) throw new Error(`no announced order script ${id}`);
      announced.delete(id);
      orderScripts.set(key, a.script);
      return !conversations.has(key);
    },
    async withdrawOrderScript(id) {
      announced.delete(id);
    },

    async reserve(req, now, pendingAfter) {
      const existing = conversations.get(req.key) ?? null;
      const orderScript = existing ? existing.orderScript : (orderScripts.get(req.key) ?? null);
      if (!existing && !orderScript && announced.size > 0 && pending(req.sku, pendingAfter)) return { kind: 'wait' };
      const turn = takeReserveTurn(existing, req, choice(orderScript, existing?.sku ?? req.sku), now);
      conversations.set(req.key, turn.conv);
      if (turn.conv.ref) byRef.set(turn.conv.ref, req.key);
      record(turn.call);
      return turn;
    },
    async status(ref, now) {
      const key = byRef.get(ref);
      const conv = key === undefined ? undefined : conversations.get(key);
      if (!conv) return null;
      const turn = takeStatusTurn(conv, choice(conv.orderScript, conv.sku), now);
      conversations.set(conv.key, turn.conv);
      record(turn.call);
      return turn;
    },
    async cancel(ref, now) {
      const key = byRef.get(ref);
      const conv = key === undefined ? undefined : conversations.get(key);
      if (!conv) return null;
      const turn = takeCancelTurn(conv, choice(conv.orderScript, conv.sku), calls.get(conv.key) ?? [], now);
      record(turn.call);
      return { ...turn, conv };
    },

    async conversations(filter = {}) {
      const out: ConversationView[] = [];
      for (const conv of conversations.values()) {
        if (filter.key !== undefined && conv.key !== filter.key) continue;
        const c = choice(conv.orderScript, conv.sku);
        out.push({ ...conv, script: { source: c.source, ...normalizeScript(c.script) }, calls: [...(calls.get(conv.key) ?? [])] });
      }
      return out;
    },
    async close() {},
  };
}
