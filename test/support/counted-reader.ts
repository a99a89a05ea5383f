/** A figures reader that counts how often it was asked (the figures-thread tests on both databases). */
import type { FiguresReader } from '../../src/ports/figures.js';

export function counted(reader: FiguresReader) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    read: () => {
      reads++;
      return reader.read();
    },
    close: () => reader.close(),
  };
}
