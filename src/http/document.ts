/**
 * The OpenAPI document without a server: the same app as `warehouse serve` builds, over an
 * in-memory database, never listening. `npm run openapi` writes it to docs/openapi.json, and
 * test/http/openapi.test.ts fails when that copy is stale.
 */
import { createWarehouse } from '../wiring/warehouse.js';
import { buildApp } from './app.js';
import { createKeyring } from './keyring.js';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS } from './idempotency.js';
import { createLogger } from './logging.js';
import { createMetrics } from './metrics.js';

export async function buildDocument(): Promise<Record<string, unknown>> {
  const warehouse = await createWarehouse({ database: ':memory:', noJobs: true });
  const metrics = createMetrics({ bus: warehouse.bus, queue: warehouse.queue, figures: warehouse.figures, clock: warehouse.clock });
  try {
    const app = await buildApp({
      warehouse,
      metrics,
      logger: createLogger('silent'),
      keyring: createKeyring(warehouse.tokens, { now: () => 0, onError: () => {}, refreshMs: 60_000 }),
      host: '127.0.0.1',
      rateLimit: { max: 300, timeWindowMs: 60_000 },
      idempotencyTtlMs: IDEMPOTENCY_TTL_MS,
      idempotencyLeaseMs: IDEMPOTENCY_LEASE_MS,
    });
    const doc = app.swagger() as unknown as Record<string, unknown>;
    await app.close();
    return doc;
  } finally {
    metrics.dispose();
    await warehouse.close();
  }
}

/** the text of docs/openapi.json */
export const documentText = (doc: Record<string, unknown>) => `${JSON.stringify(doc, null, 2)}\n`;
