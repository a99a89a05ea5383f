/**
 * The worker thread of figures-thread.ts: a read-only connection of its own to the SQLite file and
 * the fold of its event log (domain/figures.ts), kept for the thread's life. Each message asks for
 * a catch-up: the events committed since the last one are folded and the figures sent back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { EventData } from '../../domain/events.js';
import { EventFold, LOOKBACK, type FoldedEvent } from '../../domain/figures.js';

/** events per read: no loop of anyone else's to spare here, only the memory of one page */
const PAGE = 5_000;

interface Row {
  id: number;
  orderId: number;
  at: number;
  type: string;
  data: string;
}

const { file, busyTimeoutMs } = workerData as { file: string; busyTimeoutMs: number };
const port = parentPort!;
const db = new Database(file, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
const page = db.prepare<[number, number], Row>('SELECT id, order_id AS orderId, at, type, data FROM order_events WHERE id > ? ORDER BY id LIMIT ?');
const fold = new EventFold();

port.on('message', () => {
  try {
    let from = Math.max(0, fold.lastId - LOOKBACK);
    for (;;) {
      const rows = page.all(from, PAGE);
      fold.apply(
        rows.map((r): FoldedEvent => ({ id: r.id, orderId: r.orderId, at: r.at, type: r.type as FoldedEvent['type'], data: JSON.parse(r.data) as EventData })),
      );
      if (rows.length < PAGE) break;
      from = rows.at(-1)!.id;
    }
    port.postMessage({ value: fold.figures });
  } catch (error) {
    port.postMessage({ error: `the figures thread could not read ${file}: ${error instanceof Error ? error.message : String(error)}` });
  }
});
