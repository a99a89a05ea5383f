/**
 * The teaching routes (docs/design.md §13), registered together: the dashboard's page, its event stream,
 * the clock, explain, the queue, the supplier's script and the overview. Writes among them go
 * through the same bearer-token hook as every other write (auth.ts).
 */
import type { Warehouse } from '../../wiring/warehouse.js';
import type { Keyring } from '../keyring.js';
import type { TicketBook } from '../tickets.js';
import type { ZodApp } from '../types.js';
import { clockRoutes } from './clock.js';
import { dashboardRoutes } from './dashboard.js';
import { createEventHub, eventRoutes, type StreamLimits } from './events.js';
import { explainRoutes } from './explain.js';
import { jobRoutes } from './jobs.js';
import { overviewRoutes } from './overview.js';
import { type ExploreStory, storyRoutes } from './story.js';
import { supplierScriptRoutes } from './supplier-script.js';

export interface TeachingOptions {
  warehouse: Warehouse;
  /** whether writes need a token (the overview says so) */
  keyring: Pick<Keyring, 'any'>;
  /** forwarded supplier scripts go to {supplierUrl}/mock/scripts/{sku} */
  supplierUrl?: string;
  /** sent with forwarded scripts (WAREHOUSE_SUPPLIER_TOKEN) */
  supplierToken?: string;
  /** how many event streams, per server and per client address (default 100 and 10) */
  streamLimits?: StreamLimits;
  /** the event stream's heartbeat (default 15 s) */
  eventHeartbeatMs?: number;
  /** the stream tickets the auth hook redeems (tickets.ts) */
  tickets: TicketBook;
  /** the counterexample the page replays (`warehouse explore --replay TOKEN --dashboard`) */
  story?: ExploreStory | null;
}

const STOCK_WRITES = new Set(['PUT /api/inventory/:sku', 'POST /api/inventory/:sku/restock']);

export function teachingRoutes(app: ZodApp, opts: TeachingOptions): void {
  const stream = createEventHub(opts.warehouse, { heartbeatMs: opts.eventHeartbeatMs, ...opts.streamLimits });
  // open streams would keep close() waiting forever: end them first
  app.addHook('preClose', async () => stream.hub.close());
  // stock counts and restocks have no engine event: tell the streams what this API changed
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 300 && STOCK_WRITES.has(`${request.method} ${request.routeOptions.url}`)) {
      stream.hub.publish('stock:changed', { sku: (request.params as { sku?: string }).sku ?? null });
    }
  });
  dashboardRoutes(app);
  eventRoutes(app, { stream, tickets: opts.tickets });
  clockRoutes(app, opts);
  explainRoutes(app, opts);
  jobRoutes(app, opts);
  supplierScriptRoutes(app, { ...opts, hub: stream.hub });
  overviewRoutes(app, opts);
  storyRoutes(app, opts);
}
