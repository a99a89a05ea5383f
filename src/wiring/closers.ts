/**
 * What an engine opened, to close in reverse order: the last thing opened closes first (a runner
 * drains before its relay stops, the relay before the database closes, tracing last). Used both by
 * `close()` and when opening fails half-way, so the clean-up is written once.
 */
export interface Closers {
  /** close `close` with the rest, before everything deferred earlier */
  defer(close: () => unknown): void;
  /** close everything deferred, last first, one at a time; a failure stops there and is thrown */
  closeAll(): Promise<void>;
  /** run `open`; if it throws, close everything deferred so far, then throw its error */
  unwinding<T>(open: () => Promise<T>): Promise<T>;
}

export function createClosers(): Closers {
  const stack: Array<() => unknown> = [];
  const closers: Closers = {
    defer(close) {
      stack.push(close);
    },
    async closeAll() {
      while (stack.length > 0) await stack.pop()!();
    },
    async unwinding(open) {
      try {
        return await open();
      } catch (error) {
        await closers.closeAll();
        throw error;
      }
    },
  };
  return closers;
}
