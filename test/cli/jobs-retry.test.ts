/** Issue 10 item 13: retrying a dead job whose order already failed says it changes nothing, and why. */
import { describe, expect, it } from 'vitest';
import { checkInvariants, runCli, tempDb } from '../helpers.js';

async function deadLetteredOrder(db: string): Promise<void> {
  const r = await runCli(['--db', db, '--json', 'order', 'create', '--sku', 'DOWN', '--qty', '1', '--clock', 'virtual', '--supplier-reserve', 'error']);
  expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', failureReason: 'supplier_unavailable' });
}

describe('jobs retry of a job whose order already failed', () => {
  it('jobs retry warns that the order is final, and work says the job changed nothing and why', async () => {
    const db = tempDb();
    await deadLetteredOrder(db);
    const retry = await runCli(['--db', db, 'jobs', 'retry', '1']);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('order #1 is already failed (supplier_unavailable), a final state: the job will change nothing when it runs');

    const work = await runCli(['--db', db, 'work', '--until-idle', '--clock', 'virtual']);
    expect(work.code).toBe(0);
    expect(work.stdout).toContain('job 2 (ReserveInventory for order #1) changed nothing: order #1 is already failed (supplier_unavailable), a final state');
    expect(work.stdout.trim().split('\n').at(-1)).toBe('1 job(s) run (1 changed nothing), 0 queued');
    expect(checkInvariants(db)).toEqual([]);
  });

  it('--json counts the jobs that changed nothing; jobs retry --all names the final orders', async () => {
    const db = tempDb();
    await deadLetteredOrder(db);
    await deadLetteredOrder(db);
    const all = await runCli(['--db', db, '--json', 'jobs', 'retry', '--all']);
    expect(JSON.parse(all.stdout)).toHaveLength(2);
    expect(all.stderr).toContain('2 of them will change nothing: their orders are already final (#1, #2)');
    const work = await runCli(['--db', db, '--json', 'work', '--until-idle', '--clock', 'virtual']);
    expect(JSON.parse(work.stdout)).toEqual({ jobsRun: 2, jobsChangedNothing: 2, jobsQueued: 0, jobsParked: 0 });
  });
});
