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
import type { Worker } from 'node:worker_threads';
import type { Figures } from '../../domain/figures.js';
import type { FiguresReader } from '../../ports/figures.js';
import { startModuleWorker } from '../../kit/module-worker.js';

type Answer = { figures: Figures } | { error: { message: string; code?: string } };

export function openFiguresThread(opts: { file: string; busyTimeoutMs: number; fallback: FiguresReader }): FiguresReader {
  let worker: Worker | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const stop = () => {
    const w = worker;
    worker = null;
    if (w) void w.terminate();
  };
  const ask = (w: Worker) =>
    new Promise<Figures>((resolve, reject) => {
      const done = () => {
        w.off('message', onMessage);
        w.off('error', reject);
        w.off('exit', onExit);
        w.unref();
      };
      const onMessage = (m: Answer) => {
        done();
        if ('figures' in m) resolve(m.figures);
        else reject(new Error(`the figures thread could not read ${opts.file}: ${m.error.message}`));
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the figures thread exited with code ${code}`));
      };
      w.on('message', onMessage);
      w.once('error', reject);
      w.once('exit', onExit);
      w.ref();
      w.postMessage(null);
    });
  const readOnce = async (): Promise<Figures> => {
    if (closed) throw new Error('the figures reader is closed');
    try {
      worker ??= startModuleWorker(import.meta.url, 'figures-worker', { workerData: { file: opts.file, busyTimeoutMs: opts.busyTimeoutMs } });
      return await ask(worker);
    } catch {
      stop();
      return opts.fallback.read();
    }
  };

  return {
    read() {
      // one read at a time: the thread answers them in turn
      const next = queue.then(readOnce, readOnce);
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      closed = true;
      stop();
      await opts.fallback.close();
    },
  };
}
