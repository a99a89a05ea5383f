/**
 * LISTEN/NOTIFY for the relay (drizzle-pg/0003_relay.sql, JobQueue.watch): an engine that runs no
 * jobs announces what it enqueues; the engines that run jobs (serve, work) do not, since a NOTIFY
 * serialises commits and they wake their own relay in-process. Notifications arrive in commit
 * order, so hearing the second enqueue and not the first proves the first sent none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseDatabase } from '../../src/config.js';
import { DEFAULT_SETTINGS } from '../../src/domain/settings.js';
import type { Backend } from '../../src/ports/database.js';
import { openBackend } from '../../src/wiring/warehouse.js';
import { withJob, T0 } from '../contract/support.js';
import { tempPgUrl } from '../helpers.js';

const open: Backend[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

async function backend(db: string, notifyEnqueues: boolean): Promise<Backend> {
  const b = await openBackend(parseDatabase(db), DEFAULT_SETTINGS, 'real', { notifyEnqueues });
  open.push(b);
  return b;
}

describe('LISTEN/NOTIFY on enqueue', () => {
  it('tells a watcher of jobs enqueued by an engine that runs none, and of no others', async () => {
    const db = tempPgUrl();
    const watcher = await backend(db, false);
    const quiet = await backend(db, false);
    const loud = await backend(db, true);
    let heard = 0;
    let onHeard = () => {};
    const stop = await watcher.queue.watch!(() => {
      heard++;
      onHeard();
    });
    try {
      const before = heard; // a watcher is told once when it starts (it may have missed something)
      await quiet.store.createOrder('A', 1, T0, () => withJob('A', 1));
      const told = new Promise<void>((resolve) => (onHeard = resolve));
      await loud.store.createOrder('A', 1, T0, () => withJob('A', 1));
      await told;
      expect(heard).toBe(before + 1);
    } finally {
      await stop();
    }
  });
});
