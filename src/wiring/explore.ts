/**
 * The adapters `warehouse explore` runs on (src/explore): one in-memory SQLite database emptied
 * between schedules (adapters/sqlite/scratch.ts), and for each schedule a virtual clock and a fresh
 * in-process mock supplier answering straight through its MSW handler. The explorer builds its
 * runners itself over these ports (each "process" of a schedule: handlers, executor, driver), so
 * that a crash can stop one runner and start another on the same database.
 */
import { createRealClock } from '../adapters/clock/real.js';
import { createVirtualClock } from '../adapters/clock/virtual.js';
import type { NaivePause } from '../adapters/sqlite/naive.js';
import { openScratchBackend, type ScratchBackend } from '../adapters/sqlite/scratch.js';
import { createHttpSupplier } from '../adapters/supplier/http.js';
import { startMockSupplier, type SupplierCall } from '../adapters/mock-supplier/mock.js';
import type { Settings } from '../domain/settings.js';
import type { SupplierScript } from '../domain/supplier-script.js';
import type { VirtualClockControl } from '../ports/clock.js';
import type { Supplier } from '../ports/supplier.js';

export type { NaivePause, ScratchBackend, SupplierCall };

export function openExploreDatabase(opts: { settings: Settings; naive?: NaivePause }): Promise<ScratchBackend> {
  return openScratchBackend({
    durability: 'normal',
    quickCheck: false,
    jobAttempts: opts.settings.jobAttempts,
    leaseMs: opts.settings.leaseMs,
    clock: 'virtual',
    reserveStrategy: opts.settings.reserveStrategy,
    naive: opts.naive,
  });
}

export interface ExploreWorld {
  readonly clock: VirtualClockControl;
  /** the HTTP client of the mock supplier (the one a real run uses) */
  readonly supplier: Supplier;
  /** every call the mock answered, in order */
  readonly calls: readonly SupplierCall[];
  close(): Promise<void>;
}

/** A schedule's clock and supplier: the mock keeps its conversations in memory, for this schedule only. */
export async function startExploreWorld(opts: { settings: Settings; script: SupplierScript; start: number }): Promise<ExploreWorld> {
  const clock = createVirtualClock(opts.start);
  const mock = await startMockSupplier({ clock, wall: createRealClock(), script: opts.script, transport: 'direct' });
  const supplier = createHttpSupplier({ baseUrl: mock.baseUrl, fetch: mock.fetch, clock, timeoutMs: opts.settings.supplierTimeoutMs });
  return { clock, supplier, calls: mock.calls, close: () => mock.close() };
}
