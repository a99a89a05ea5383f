/**
 * The figures of a PostgreSQL database's event log (ports/figures.ts) folded on a worker thread
 * (figures-worker.ts, one connection of its own): the reads do not block the server's thread, but
 * parsing and folding hundreds of thousands of events there, and collecting their garbage, would
 * hold its event loop (docs/performance.md). The thread starts at the first read and keeps its
 * fold. If it cannot answer, that read is answered by `fallback` on the server's thread, whose
 * errors say what is wrong as the adapter's do; the next read starts a new thread.
 */
import type { Figures } from '../../domain/figures.js';
import type { FiguresReader } from '../../ports/figures.js';
import { createAskedWorker } from '../../kit/asked-worker.js';
import { startModuleWorker } from '../../kit/module-worker.js';

export function openFiguresThread(opts: { url: string; schema: string; fallback: FiguresReader }): FiguresReader {
  const thread = createAskedWorker<Figures>(
    () => startModuleWorker(import.meta.url, 'figures-worker', { workerData: { url: opts.url, schema: opts.schema } }),
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
