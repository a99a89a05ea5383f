/**
 * Issue 18 defect 5: writes queued behind another process's write lock each have their own
 * patience, counted from their arrival. Before, the writes waited in series: the first gave up
 * after the busy timeout, then the next began its own wait, so twelve requests arriving together
 * under a 14 s lock were answered at 5 s, 10 s, then 13.5 s. A real `serve` process, a real second
 * process holding `BEGIN IMMEDIATE`, requests over HTTP.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { holdWriteLock, spawnCli } from './support.js';

const BUSY_MS = 2_000;
/** how late past its own deadline an answer may come on a loaded machine (the bug made it a whole busy timeout) */
const SLACK_MS = 1_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  /** ms from the request being sent to its answer */
  tookMs: number;
}

async function order(api: string, sku: string): Promise<Answer> {
  const sent = performance.now();
  const r = await fetch(`${api}/api/order`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku, qty: 1 }) });
  await r.arrayBuffer();
  return { status: r.status, retryAfter: r.headers.get('retry-after'), tookMs: performance.now() - sent };
}

async function serve(flags: string[]): Promise<{ api: string; db: string }> {
  const db = join(tempDir(), 'engine.db');
  const proc = spawnCli([...flags, '--db', db, 'serve', '--port', '0', '--no-runner', '--rate-limit', '0', '--log-level', 'warn'], {
    WAREHOUSE_BUSY_TIMEOUT_MS: String(BUSY_MS),
  });
  const [, api] = await proc.waitFor(/listening on (http:\/\/\S+) /);
  return { api: api!, db };
}

const stored = async (api: string) => ((await (await fetch(`${api}/api/orders?limit=1000`)).json()) as { orders: unknown[] }).orders.length;

// with group commit, the writes waiting together are one batch: each still keeps its own deadline
describe.each([
  { mode: 'one transaction per write', flags: ['--no-group-commit'] },
  { mode: 'group commit', flags: ['--group-commit'] },
])('writes waiting for another process to let go of the write lock ($mode)', ({ flags }) => {
  it('answers each request 503 with Retry-After when its own busy timeout runs out, not one busy timeout after another', { timeout: 60_000 }, async () => {
    const { api, db } = await serve(flags);
    expect((await order(api, 'BEFORE')).status).toBe(201);
    const { released } = await holdWriteLock(db, BUSY_MS * 3 + 1_000);

    // twelve at once, then six more a second later: each wave waits its own busy timeout
    const first = Array.from({ length: 12 }, (_, i) => order(api, `FIRST-${i}`));
    await new Promise((r) => setTimeout(r, 1_000));
    const second = Array.from({ length: 6 }, (_, i) => order(api, `SECOND-${i}`));
    const answers = [...(await Promise.all(first)), ...(await Promise.all(second))];

    for (const a of answers) {
      expect(a).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
      expect(a.tookMs).toBeGreaterThanOrEqual(BUSY_MS - 50);
      expect(a.tookMs).toBeLessThan(BUSY_MS + SLACK_MS);
    }
    await released;
    expect(await stored(api)).toBe(1); // none of the refused orders was stored
    expect((await order(api, 'AFTER')).status).toBe(201);
  });

  it('lets every waiting request through as soon as the lock ends, when that is before their time runs out', { timeout: 60_000 }, async () => {
    const { api, db } = await serve(flags);
    const holdMs = BUSY_MS / 2;
    const { released } = await holdWriteLock(db, holdMs);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => order(api, `WAITS-${i}`)));
    await released;
    for (const a of answers) {
      expect(a.status).toBe(201);
      expect(a.tookMs).toBeLessThan(holdMs + SLACK_MS);
    }
    expect(await stored(api)).toBe(12);
  });
});
