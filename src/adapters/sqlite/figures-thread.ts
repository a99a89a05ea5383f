/**
 * The figures of a SQLite file's event log (ports/figures.ts) folded on a worker thread
 * (figures-worker.ts, over a read-only connection of its own): the first scrape of /metrics on a
 * 200,000-order file folds ~825,000 events, whose reading, parsing and garbage held the server's
 * event loop up to a quarter of a second even a page at a time (docs/performance.md). The thread
 * starts at the first read and keeps its fold, so each read after folds only what was added. It
 * sees what is committed (WAL), as any other process would.
 *
 * If the thread cannot read the file (damage, a lock outlasting the busy timeout, no thread), that
 * read is answered by `fallback` on the server's thread, whose errors say what is wrong as the
 * adapter's do; the next read starts a new thread.
 */
import type { Figures } from '../../domain/figures.js';
import type { FiguresReader } from '../../ports/figures.js';
import { createAskedWorker } from '../../kit/asked-worker.js';
import { startModuleWorker } from '../../kit/module-worker.js';

export function openFiguresThread(opts: { file: string; busyTimeoutMs: number; fallback: FiguresReader }): FiguresReader {
  const thread = createAskedWorker<Figures>(
    () => startModuleWorker(import.meta.url, 'figures-worker', { workerData: { file: opts.file, busyTimeoutMs: opts.busyTimeoutMs } }),
    () => opts.fallback.read(),
  );
  return {
    read: () => thread.ask(),
    async close() {
      await thread.close();
      await opts.fallback.close();
    },
  };
}
