/**
 * `startServer(options)`: the HTTP API and the job runner in one process, over one SQLite file.
 * Returns once listening; `close()` stops accepting, lets in-flight requests and running jobs
 * finish (bounded by `shutdownTimeoutMs`), then closes the database. Tests call it with port 0.
 */
import type { ExploreStory } from './routes/story.js';
import type { AddressInfo } from 'node:net';
import type { DestinationStream, Logger } from 'pino';
import type { SupplierScript } from '../domain/supplier-script.js';
import type { Settings } from '../domain/settings.js';
import { UsageError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import { DEFAULT_DATABASE, describeDatabase, type DatabaseConfig, type QueueConfig } from '../config.js';
import type { Tracing } from '../ports/tracing.js';
import type { TracingConfig } from '../wiring/tracing.js';
import { createWarehouse, type Warehouse } from '../wiring/warehouse.js';
import { buildApp, type AppOptions } from './app.js';
import { API_RULE, assertSafeBind, isLoopback } from '../serving/bind.js';
import { createKeyring } from './keyring.js';
import { connectionLimit } from './descriptors.js';
import type { Timeouts } from '../serving/connection.js';
import { isOrigin } from './methods.js';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS } from './idempotency.js';
import { createLogger, logEngineEvents, type LogLevel } from './logging.js';
import { createMetrics } from './metrics.js';
import type { StreamLimits } from './routes/events.js';

export interface ServerOptions {
  /** the database (default ./warehouse.db); ignored when `warehouse` is given */
  database?: DatabaseConfig | string;
  supplierUrl?: string;
  /** bearer token sent to the supplier */
  supplierToken?: string;
  supplierScript?: SupplierScript;
  settings?: Partial<Settings>;
  /** seeds the backoff jitter */
  seed?: number;
  clock?: 'real' | 'virtual' | 'paced' | Clock;
  /** where jobs are delivered from (`--queue`): absent, the in-database queue */
  queue?: QueueConfig;
  /** an engine to serve; then the caller owns it and `close()` leaves it open */
  warehouse?: Warehouse;
  port?: number;
  host?: string;
  /** the all-scopes bearer token (WAREHOUSE_API_TOKEN); without it or a named token only loopback is allowed */
  token?: string;
  /** names a loopback server answers to besides localhost, 127.0.0.1 and [::1] (`--allowed-host`) */
  allowedHosts?: readonly string[];
  /** beyond loopback, reads without a token (`--public-reads`) */
  publicReads?: boolean;
  /** how often the named tokens are read again (default 500 ms: a revoke takes effect within a second) */
  tokenRefreshMs?: number;
  /** failed-token attempts per client address per minute before its writes get 429 (default 10) */
  authFailuresPerMinute?: number;
  /** orders per minute per client address; 0 turns the limit off (default 300) */
  rateLimitPerMinute?: number;
  logLevel?: LogLevel;
  /** where log lines go (default: stderr) */
  logDestination?: DestinationStream;
  /** run the job runner in this process (default true) */
  runner?: boolean;
  /** how long close() waits for running jobs (default 10 s) */
  shutdownTimeoutMs?: number;
  idempotencyTtlMs?: number;
  idempotencyLeaseMs?: number;
  /** the one origin whose browser pages may call the API (CORS, `--cors-origin`); none by default */
  corsOrigin?: string;
  /** request, idle and keep-alive timeouts (default 10 s, 60 s, 5 s; see serving/connection.ts) */
  timeouts?: Partial<Timeouts>;
  /** how many event streams, per server and per client address (default 100 and 10) */
  streamLimits?: StreamLimits;
  /** the dashboard's event stream heartbeat (default 15 s) */
  eventHeartbeatMs?: number;
  /** the counterexample the page replays (`warehouse explore --replay TOKEN --dashboard`) */
  story?: ExploreStory | null;
  /** spans to export (a trace file, the OTEL_* collector); ignored when `warehouse` is given (it has its own) */
  tracing?: TracingConfig | Tracing;
  /** another process's lock met while opening is waited for as long as it lasts, and this told once (WarehouseConfig.onLockWait) */
  onLockWait?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  app: Awaited<ReturnType<typeof buildApp>>;
  warehouse: Warehouse;
  log: Logger;
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 300;
const PURGE_EVERY_MS = 10 * 60 * 1000;

const within = <T>(p: Promise<T>, ms: number): Promise<'done' | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  return Promise.race([p.then(() => 'done' as const), t]).finally(() => clearTimeout(timer));
};

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  assertSafeBind(host, options.token, { ...API_RULE, otherCredentials: true }); // named tokens are looked at once the database is open
  if (options.corsOrigin !== undefined && !isOrigin(options.corsOrigin)) {
    throw new UsageError(
      `--cors-origin must be one origin, scheme://host[:port] with nothing after it, such as http://localhost:5173 (got ${JSON.stringify(options.corsOrigin)})`,
    );
  }
  const owned = !options.warehouse;
  const warehouse =
    options.warehouse ??
    (await createWarehouse({
      database: options.database ?? DEFAULT_DATABASE,
      clock: options.clock ?? 'real',
      supplierUrl: options.supplierUrl,
      supplierToken: options.supplierToken,
      supplierScript: options.supplierScript,
      settings: options.settings,
      seed: options.seed,
      tracing: options.tracing,
      queue: options.queue,
      onLockWait: options.onLockWait,
    }));
  const log = createLogger(options.logLevel ?? 'info', options.logDestination, warehouse.tracing);
  const keyring = createKeyring(warehouse.tokens, {
    allScopes: options.token,
    refreshMs: options.tokenRefreshMs,
    now: () => warehouse.clock.now(),
    onError: (error, what) => log.warn({ err: error }, what),
  });
  await keyring.refresh();
  if (!isLoopback(host) && !keyring.any) {
    keyring.close();
    if (owned) await warehouse.close();
    // the message of a server with no token at all
    assertSafeBind(host, undefined);
  }
  const metrics = createMetrics({ bus: warehouse.bus, queue: warehouse.queue, figures: warehouse.figures, clock: warehouse.clock });
  const stopLogs = logEngineEvents(warehouse.bus, log);
  const perMinute = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  const appOptions: AppOptions = {
    warehouse,
    metrics,
    logger: log,
    keyring,
    host,
    allowedHosts: options.allowedHosts,
    publicReads: options.publicReads,
    authFailuresPerMinute: options.authFailuresPerMinute,
    rateLimit: perMinute > 0 ? { max: perMinute, timeWindowMs: 60_000 } : false,
    idempotencyTtlMs: options.idempotencyTtlMs ?? IDEMPOTENCY_TTL_MS,
    idempotencyLeaseMs: options.idempotencyLeaseMs ?? IDEMPOTENCY_LEASE_MS,
    timeouts: options.timeouts,
    corsOrigin: options.corsOrigin,
    supplierUrl: options.supplierUrl,
    supplierToken: options.supplierToken,
    streamLimits: options.streamLimits,
    eventHeartbeatMs: options.eventHeartbeatMs,
    story: options.story,
  };
  let app: RunningServer['app'];
  try {
    app = await buildApp(appOptions);
    const connections = connectionLimit();
    if (connections !== null) app.server.maxConnections = connections;
    await app.listen({ port: options.port ?? 3000, host });
  } catch (error) {
    keyring.close();
    stopLogs();
    metrics.dispose();
    if (owned) await warehouse.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  const stop = new AbortController();
  const running =
    options.runner === false
      ? Promise.resolve()
      : warehouse.runner.runForever(stop.signal).catch((error: unknown) => log.error({ err: error }, 'job runner stopped on an error'));
  const purge = () => warehouse.idempotency.expire(warehouse.clock.now()).catch((error: unknown) => log.warn({ err: error }, 'idempotency purge failed'));
  void purge();
  const purgeTimer = setInterval(() => void purge(), PURGE_EVERY_MS).unref();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const bound = options.shutdownTimeoutMs ?? 10_000;
      clearInterval(purgeTimer);
      await app.close(); // stop accepting; in-flight requests finish
      stop.abort();
      const inFlight = () => (options.runner === false ? 0 : warehouse.runner.inFlight);
      log.info({ runningJobs: inFlight() }, 'stopped accepting requests; waiting for running jobs');
      if ((await within(running, bound)) === 'timeout')
        log.warn({ inFlight: inFlight() }, `jobs still running after ${bound} ms; their leases will expire and another runner will take them`);
      keyring.close();
      stopLogs();
      metrics.dispose();
      if (owned && (await within(warehouse.close(), 1_000)) === 'timeout') log.warn('the database was closed with jobs still running');
      log.info('server stopped');
      log.flush?.();
    })());

  log.info(
    { url, database: describeDatabase(warehouse.database), runner: options.runner !== false, auth: keyring.any, rateLimitPerMinute: perMinute },
    'listening',
  );
  return { url, app, warehouse, log, close };
}
