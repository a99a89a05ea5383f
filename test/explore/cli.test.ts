/**
 * `warehouse explore` as a user runs it (the built bin spawned; run `npm run build` first): each
 * broken variant is found on its lesson with its one-sentence explanation and a replay token that
 * replays the same story every time; the real design holds; bad input exits 2.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../helpers.js';

const lesson = (name: string) => `scenarios/lessons/${name}.yaml`;
const json = (stdout: string) =>
  JSON.parse(stdout) as Record<string, unknown> & { violation: null | (Record<string, unknown> & { steps: Array<Record<string, unknown>> }) };

describe('warehouse explore', () => {
  it('finds the lost update of the naive strategy, explains it and names each step by its order', async () => {
    const r = await runCli(['explore', lesson('the-lock'), '--reserve-strategy', 'naive', '--json']);
    expect(r.code).toBe(1);
    const out = json(r.stdout);
    expect(Object.keys(out)).toEqual(['schedules', 'crashPoints', 'exhaustive', 'seconds', 'violation']);
    expect(Object.keys(out.violation!)).toEqual(['invariant', 'message', 'orders', 'steps', 'replay']);
    expect(out.violation!.invariant).toBe('ledger-matches-on-hand');
    expect(out.violation!.message).toMatch(/^order (first|second) read 1 on hand before order (first|second) wrote 0; both took it$/);
    expect(out.violation!.orders).toEqual(['first', 'second']);
    expect(new Set(out.violation!.steps.map((s) => s.order))).toEqual(new Set(['first', 'second']));
    expect(out.violation!.steps.length).toBe(6);
  });

  it('replays a token with the same story every time', async () => {
    const found = json((await runCli(['explore', lesson('the-lock'), '--reserve-strategy', 'naive', '--json'])).stdout);
    const token = String(found.violation!.replay);
    const a = await runCli(['explore', lesson('the-lock'), '--replay', token]);
    const b = await runCli(['explore', lesson('the-lock'), '--replay', token]);
    expect(a.code).toBe(1);
    expect(a.stdout).toContain('why: order');
    expect(a.stdout).toContain(`--replay ${token}`);
    expect(b.stdout).toBe(a.stdout);
  });

  it.each([
    ['outbox', 'the-outbox', 'open-order-has-one-live-job', /was committed, but the process died before its job was enqueued/],
    ['idempotency', 'idempotent-jobs', 'no-parked-job', /the process died before its job was marked done, and the job ran again/],
    ['supplier-key', 'the-supplier-key', 'one-supplier-reservation-per-order', /sent a new key .*: the supplier reserved twice/],
  ])('finds --break %s with crashes on its lesson', async (variant, name, invariant, sentence) => {
    const r = await runCli(['explore', lesson(name), '--break', variant, '--crashes', '--json']);
    expect(r.code).toBe(1);
    const v = json(r.stdout).violation!;
    expect(v.invariant).toBe(invariant);
    expect(v.message).toMatch(sentence);
    expect(v.steps.some((s) => s.crashAfter === true)).toBe(true);
  });

  it('holds for the real design on every lesson, crashes included, and says the search was exhaustive', async () => {
    const r = await runCli(['explore', 'scenarios/lessons/', '--crashes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/the-lock\.yaml \(pessimistic\): exhaustive: all \d+ schedules \(\d+ crash points\)/);
    expect(r.stdout.match(/every check held/g)?.length).toBe(5);
  });

  it('reports an expectation that depends on the order of arrival as a finding', async () => {
    const r = await runCli(['explore', 'scenarios/last-units.yaml', '--json']);
    expect(r.code).toBe(1);
    const v = json(r.stdout).violation!;
    expect(v.invariant).toBe('expect');
    expect(v.message).toContain('order of arrival is not order of reservation');
  });

  it('writes the counterexample as a Mermaid diagram', async () => {
    const file = join(tempDir(), 'story.md');
    const r = await runCli(['explore', lesson('the-lock'), '--reserve-strategy', 'naive', '--diagram', file, '--no-svg']);
    expect(r.code).toBe(1);
    const { readFileSync } = await import('node:fs');
    const md = readFileSync(file, 'utf8');
    expect(md).toContain('```mermaid\nsequenceDiagram');
    expect(md).toContain('participant L0 as order first');
    expect(md).toContain('rect rgb(255, 215, 215)');
  });

  it('--replay TOKEN --dashboard serves the page with the story to replay, until Ctrl-C', async () => {
    const found = json((await runCli(['explore', lesson('the-lock'), '--reserve-strategy', 'naive', '--json'])).stdout);
    const token = String(found.violation!.replay);
    const child = spawn(process.execPath, [BIN, 'explore', lesson('the-lock'), '--replay', token, '--dashboard', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', WAREHOUSE_API_TOKEN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('Ctrl-C to stop') && resolve()));
    expect(out).toContain('why: order');
    const url = /Dashboard: (http:\/\/\S+)\//.exec(out)![1]!;
    const { story } = (await (await fetch(`${url}/api/explore/story`)).json()) as { story: Record<string, unknown> & { steps: unknown[] } };
    expect(story).toMatchObject({
      scenario: 'the lock — two orders, one unit',
      invariant: 'ledger-matches-on-hand',
      replay: token,
      lanes: ['first', 'second'],
      breaking: 6,
    });
    expect(story.steps).toHaveLength(6);
    expect((await fetch(`${url}/`)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
  });

  it('--dashboard with nothing broken serves nothing, and says so', async () => {
    const r = await runCli(['explore', lesson('the-lock'), '--dashboard', '--port', '0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no counterexample to replay on the page');
  });

  describe('bad input exits 2 and stores nothing', () => {
    const bad = join(tempDir(), 'bad.yaml');
    writeFileSync(bad, 'name: broken\nsteps:\n  - at: soon\n');
    it.each([
      [['explore', lesson('the-lock'), '--reserve-strategy', 'reckless'], /--reserve-strategy must be one of pessimistic, optimistic, atomic, naive/],
      [['explore', lesson('the-lock'), '--break', 'locks'], /--break must be one of outbox, idempotency, supplier-key/],
      [['explore', lesson('the-lock'), '--replay', 'v2.x'], /not a replay token/],
      [['explore', lesson('the-lock'), '--reserve-strategy', 'naive', '--dashboard', '--port', 'ninety'], /--port must be from 0 to 65535/],
      [['explore', bad], /bad\.yaml:\d+:\d+/],
      [['serve', '--reserve-strategy', 'naive'], /--reserve-strategy must be one of pessimistic, optimistic, atomic/],
      [['work', '--break', 'outbox'], /unknown option '--break'/],
      [['up', '--break', 'outbox'], /unknown option '--break'/],
    ])('%j', async (args, message) => {
      const r = await runCli(args, { env: { WAREHOUSE_DB: join(tempDir(), 'never.db') } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
