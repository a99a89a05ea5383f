/**
 * A worker thread asked for one answer at a time, with a fallback: each `ask()` posts a message
 * and waits for the thread's answer (`{ value }` or `{ error }`); when the thread cannot answer (it
 * failed to start, reported an error, or exited), that ask is answered by `fallback` and the next
 * ask starts a new thread. The thread starts at the first ask and holds the process open only
 * while an ask is waiting.
 */
import type { Worker } from 'node:worker_threads';

export type WorkerAnswer<T> = { value: T } | { error: string };

export interface AskedWorker<T> {
  ask(): Promise<T>;
  /** ends the thread; asks after it are refused */
  close(): Promise<void>;
}

export function createAskedWorker<T>(start: () => Worker, fallback: () => Promise<T>): AskedWorker<T> {
  let worker: Worker | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const stop = () => {
    const w = worker;
    worker = null;
    if (w) void w.terminate();
  };
  const once = (w: Worker) =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        w.off('message', onMessage);
        w.off('error', reject);
        w.off('exit', onExit);
        w.unref();
      };
      const onMessage = (m: WorkerAnswer<T>) => {
        done();
        if ('value' in m) resolve(m.value);
        else reject(new Error(m.error));
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the thread exited with code ${code}`));
      };
      w.on('message', onMessage);
      w.once('error', reject);
      w.once('exit', onExit);
      w.ref();
      w.postMessage(null);
    });
  const askOnce = async (): Promise<T> => {
    if (closed) throw new Error('the thread was closed');
    try {
      worker ??= start();
      return await once(worker);
    } catch {
      stop();
      return fallback();
    }
  };
  return {
    ask() {
      // one ask at a time: the thread answers them in turn
      const next = queue.then(askOnce, askOnce);
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      closed = true;
      stop();
    },
  };
}
