/**
 * `warehouse supplier serve --state postgres://…`: the mock as a service keeps its scripts and
 * conversations in `mock_*` tables of the URL's schema, so a service started again on the same
 * database (or several at once) continues the same conversations.
 */
import { describe, expect, it } from 'vitest';
import { rawSql, tempPgUrl } from '../helpers.js';
import { putScript, spawnCli } from '../supplier/support.js';

async function serve(state: string) {
  const p = spawnCli(['supplier', 'serve', '--port', '0', '--state', state]);
  const [, url] = await p.waitFor(/supplier listening on (http:\/\/\S+) /);
  return { p, url: url! };
}
const reserve = (url: string, key: string) =>
  fetch(`${url}/supplier/reserve`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: '{"sku":"A","qty":1}' });
const status = async (url: string, ref: string) => ((await (await fetch(`${url}/supplier/status/${ref}`)).json()) as { status: string }).status;

describe('warehouse supplier serve on PostgreSQL', () => {
  it('keeps its state in the schema of the URL: a service started again, or a second one, continues the conversation', async () => {
    const db = tempPgUrl();
    const first = await serve(db);
    expect(first.p.out()).toMatch(/\(state postgres:\/\/\S+ \(schema wht_\w+\)\)/);
    expect((await putScript(first.url, 'A', { status: ['delayed', 'delayed', 'ok'] })).status).toBe(200);
    expect(await (await reserve(first.url, 'order-1')).json()).toEqual({ accepted: true, ref: 'R.order-1.A' });
    expect(await status(first.url, 'R.order-1.A')).toBe('delayed');
    first.p.child.kill('SIGINT');
    expect(await first.p.exited).toEqual({ code: 0, signal: null });

    const [again, other] = [await serve(db), await serve(db)];
    expect(await status(again.url, 'R.order-1.A')).toBe('delayed');
    expect(await status(other.url, 'R.order-1.A')).toBe('ok');
    expect(await (await reserve(other.url, 'order-1')).json()).toEqual({ accepted: true, ref: 'R.order-1.A' });
    const calls = await rawSql(db, 'SELECT kind, answer, replay FROM mock_calls ORDER BY id');
    expect(calls.map((c) => `${c.kind}:${c.answer}${c.replay ? '*' : ''}`)).toEqual([
      'reserve:accepted',
      'status:delayed',
      'status:delayed',
      'status:ok',
      'reserve:accepted*',
    ]);
  });
});
