/** The lock-conflict counter of /metrics (DESIGN §10: lock conflicts per strategy), fed by InventoryConflict events. */
import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/app/bus.js';
import { createMetrics } from '../../src/http/metrics.js';
import type { JobQueue } from '../../src/ports/queue.js';

describe('the inventory conflict counter', () => {
  it('adds each InventoryConflict event\'s conflicts under its strategy', async () => {
    const bus = createBus();
    const metrics = createMetrics({ bus, queue: { count: async () => ({ queued: 0, running: 0, parked: 0, dead: 0 }) } as unknown as JobQueue });
    const conflict = (conflicts: number) => bus.emit('order:event', { orderId: 1, at: 0, type: 'InventoryConflict', data: { sku: 'HOT', strategy: 'optimistic', conflicts } });
    conflict(3);
    conflict(2);
    bus.emit('order:event', { orderId: 2, at: 0, type: 'OrderReserved', data: {} });
    expect(await metrics.registry.metrics()).toMatch(/^warehouse_inventory_conflicts_total\{strategy="optimistic"\} 5$/m);
    metrics.dispose();
  });
});
