/**
 * The lock-conflict counter of /metrics (docs/design.md §14: lock conflicts per strategy) is folded from the
 * InventoryConflict events the optimistic strategy's adapter stores with its commits
 * (test/telemetry/metrics.test.ts checks it over HTTP and in `warehouse stats`).
 */
import { describe, expect, it } from 'vitest';
import { EventFold } from '../../src/domain/figures.js';

describe('the inventory conflict fold', () => {
  it("adds each InventoryConflict event's conflicts under its strategy, and nothing for other events", () => {
    const fold = new EventFold();
    const conflict = (id: number, strategy: string, conflicts: number) => ({
      id,
      orderId: id,
      at: 0,
      type: 'InventoryConflict' as const,
      data: { sku: 'HOT', strategy, conflicts },
    });
    fold.apply([
      conflict(1, 'optimistic', 3),
      conflict(2, 'optimistic', 2),
      { id: 3, orderId: 2, at: 0, type: 'OrderReserved', data: {} },
      conflict(4, 'atomic', 1),
    ]);
    expect(fold.figures.lockConflicts).toEqual({ optimistic: 5, atomic: 1 });
  });
});
