/**
 * The worker thread of figures-thread.ts: one connection of its own to the engine's database and
 * schema (the adapter's pool settings) and the fold of its event log (domain/figures.ts), kept
 * for the thread's life. Each message asks for a catch-up: the events committed since the last
 * one are folded and the figures sent back. Ids are handed out before commit, so each catch-up
 * reads back LOOKBACK ids (the fold skips those it has seen), as app/stats.ts does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EventData } from '../../domain/events.js';
import { EventFold, LOOKBACK, type FoldedEvent } from '../../domain/figures.js';
import { createPool, labelFor } from './connection.js';
import { describePgError } from './errors.js';

const PAGE = 5_000;

interface Row {
  id: number;
  order_id: number;
  at: string;
  type: string;
  data: EventData;
}

const { url, schema } = workerData as { url: string; schema: string };
const port = parentPort!;
const pool = createPool({ url, schema, poolSize: 1 });
const fold = new EventFold();

port.on('message', async () => {
  try {
    let from = Math.max(0, fold.lastId - LOOKBACK);
    for (;;) {
      const { rows } = await pool.query<Row>('SELECT id, order_id, at::text AS at, type, data FROM order_events WHERE id > $1 ORDER BY id LIMIT $2', [
        from,
        PAGE,
      ]);
      fold.apply(rows.map((r): FoldedEvent => ({ id: r.id, orderId: r.order_id, at: Number(r.at), type: r.type as FoldedEvent['type'], data: r.data })));
      if (rows.length < PAGE) break;
      from = rows.at(-1)!.id;
    }
    port.postMessage({ value: fold.figures });
  } catch (error) {
    const described = describePgError(error, labelFor(url, schema)) ?? error;
    port.postMessage({ error: described instanceof Error ? described.message : String(described) });
  }
});
