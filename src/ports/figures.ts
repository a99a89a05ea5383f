/**
 * The reservation figures of the whole event log (domain/figures.ts), as /metrics reads them at
 * each scrape: a reader keeps its fold and carries it on from where the previous read stopped.
 * Implementations: app/stats.ts `foldOnThisThread` (reads the Store page by page on the server's
 * thread) and adapters/sqlite/figures-thread.ts (a SQLite file, folded on a worker thread of its
 * own); src/wiring/warehouse.ts picks one.
 */
import type { Figures } from '../domain/figures.js';

export interface FiguresReader {
  /** the figures of every event committed so far (the reader's own copy: read them before the next call) */
  read(): Promise<Figures>;
  close(): Promise<void>;
}
