import type { Clock } from '../../ports/clock.js';

export function createRealClock(): Clock {
  return {
    mode: 'real',
    now: () => Date.now(),
    sleep(ms, signal) {
      return new Promise<boolean>((resolve) => {
        if (signal?.aborted) return resolve(false);
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(true);
          },
          Math.max(0, ms),
        );
        const onAbort = () => {
          clearTimeout(timer);
          resolve(false);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    timeout(ms) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
      return { signal: controller.signal, clear: () => clearTimeout(timer) };
    },
  };
}
