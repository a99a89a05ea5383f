/**
 * createWarehouse(config): the one place that picks adapters. Everything else receives ports.
 * What it opens is closed in reverse order, by one stack of closers (closers.ts), whether the
 * engine closes or its opening fails half-way.
 */
import { createRealClock } from '../adapters/clock/real.js';
import { createPacedClock } from '../adapters/clock/paced.js';
import { createVirtualClock } from '../adapters/clock/virtual.js';
import { openSqliteBackend } from '../adapters/sqlite/index.js';
import type { NaivePause } from '../adapters/sqlite/naive.js';
import { createHttpSupplier } from '../adapters/supplier/http.js';
import type { MockSupplier } from '../adapters/mock-supplier/mock.js';
import { openMockState } from './mock-state.js';
import type { SupplierScript } from '../domain/supplier-script.js';
import { createBus, type Bus } from '../app/bus.js';
import { createHandlers } from '../app/handlers.js';
import { createInventoryService, type InventoryService } from '../app/inventory.js';
import { createJobsService, type JobsService } from '../app/jobs.js';
import { createOrderService, type OrderService } from '../app/orders.js';
import { createRandom } from '../app/random.js';
import type { FiguresReader } from '../ports/figures.js';
import type { DriverStatus } from '../ports/driver.js';
import { driverEventsOf } from './driver-events.js';
import { createRunner, type Runner } from '../app/runner.js';
import { DEFAULT_SETTINGS, type Settings } from '../domain/settings.js';
import { describeDatabase, describeQueue, parseDatabase, parseQueue, type DatabaseConfig, type QueueConfig } from '../config.js';
import type { Bullmq } from '../adapters/bullmq/index.js';
import { UsageError } from '../domain/errors.js';
import type { Clock, PacedClock, VirtualClockControl } from '../ports/clock.js';
import type { Backend, BackupResult } from '../ports/database.js';
import type { IdempotencyStore } from '../ports/idempotency.js';
import type { ApiTokenStore } from '../ports/tokens.js';
import type { JobQueue } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import type { Supplier } from '../ports/supplier.js';
import { NO_TRACING, type Tracing } from '../ports/tracing.js';
import { createClosers } from './closers.js';
import type { TracingConfig } from './tracing.js';

export interface WarehouseConfig {
  /** the database (config.ts); a string is a SQLite file (or ':memory:') or a postgres:// URL */
  database: DatabaseConfig | string;
  clock?: 'real' | 'virtual' | 'paced' | Clock;
  /** a real supplier; without it the in-process MSW mock answers */
  supplierUrl?: string;
  /** bearer token sent to the supplier */
  supplierToken?: string;
  /**
   * For work that never runs a job (reading, stock counts, enqueuing): no supplier is set up, so
   * msw is not even loaded; `runner` then throws.
   */
  noJobs?: boolean;
  supplierScript?: SupplierScript;
  /**
   * How the mock answers: `intercept` through msw/node's interception of the global fetch (the
   * default on the real clock); `direct` hands the client's requests straight to the same resolver
   * (the default on the virtual clock: replays of thousands of orders, and a CLI run that should
   * not load msw, the heaviest import of a run; docs/decisions.md).
   */
  mockTransport?: 'intercept' | 'direct';
  settings?: Partial<Settings>;
  /** where virtual time starts (epoch ms); default: the real time now */
  virtualStart?: number;
  /** seeds the backoff jitter (deterministic replays) */
  seed?: number;
  workerId?: string;
  pollMs?: number;
  /**
   * Spans (docs/design.md §14): what to export (a trace file, the OTEL_* collector; closed with the
   * engine), or a Tracing its caller owns. Default: none, and OpenTelemetry is not loaded.
   */
  tracing?: TracingConfig | Tracing;
  /**
   * Where jobs are delivered from: absent, the in-database queue; `redis://…` (or a parsed
   * QueueConfig), BullMQ on Redis, fed by an outbox relay that runs while the engine is open
   * (not for engines opened with noJobs). Refused with the virtual clock.
   */
  queue?: QueueConfig | string;
  /**
   * For daemons (`work`, `serve`): another process's write lock met while opening (migrating the
   * file, creating the mock's tables) is waited for as long as it lasts, asynchronously, and this
   * is told once. Without it, opening gives up after the busy timeout with a `busy` DatabaseError.
   */
  onLockWait?: (message: string) => void;
  /**
   * For a throwaway in-memory database only (the simulator's replays): the identity its supplier
   * keys carry, instead of the random one its migration made, so that every replay of a file
   * hears the same keys and refs. Refused for any other database.
   */
  databaseId?: string;
  /**
   * For a throwaway in-memory database only (the simulator's replays on the virtual clock): the
   * store and the queue kept in plain maps (adapters/memory) instead of an in-memory SQLite
   * database: the same outcomes (test/sim/transports.test.ts), at a fraction of the CPU
   * (docs/decisions.md). Refused for any other database and for the naive teaching path.
   */
  memoryBackend?: boolean;
  /**
   * Teaching only (`simulate --reserve-strategy naive`, `simulate --break …`; docs/teaching.md,
   * "Break it to learn it"): the naive reservation's pause between its read and its write (SQLite
   * only), and a wrapper of the ports the handlers, the runner and the services then use (the
   * broken variants, src/explore/instrument.ts). `serve`, `work` and `up` never pass it.
   */
  teaching?: { naive?: NaivePause; ports?: (ports: TeachingPorts) => TeachingPorts };
}

/** The ports a teaching variant may wrap. */
export interface TeachingPorts {
  store: Store;
  queue: JobQueue;
  supplier: Supplier;
}

export interface Warehouse extends AsyncDisposable {
  readonly database: DatabaseConfig;
  readonly store: Store;
  readonly queue: JobQueue;
  /** Idempotency-Key records, in the same database as the store (their responses are completed by its writes) */
  readonly idempotency: IdempotencyStore;
  /** the API's named tokens (hashes only; `warehouse token`) */
  readonly tokens: ApiTokenStore;
  readonly clock: Clock;
  readonly bus: Bus;
  readonly supplier: Supplier;
  /** the mock, when no supplier URL was given */
  readonly mock: MockSupplier | null;
  /** the reservation figures of the event log, for /metrics (folded on a worker thread but for ':memory:') */
  readonly figures: FiguresReader;
  readonly runner: Runner;
  /** a consistent copy of the database into a new file (Backend.backup) */
  backup(destination: string): Promise<BackupResult>;
  /**
   * Whether the engine's database takes writes (Store.health), including the in-process mock's
   * tables in it: a lock on them, or their damage, is the database's trouble (/healthz 503).
   */
  health(): ReturnType<Store['health']>;
  /** the runner's state (null for an engine opened with noJobs) */
  runnerStatus(): DriverStatus | null;
  readonly orders: OrderService;
  readonly inventory: InventoryService;
  readonly jobs: JobsService;
  readonly settings: Settings;
  /** NO_TRACING unless `tracing` asked for spans */
  readonly tracing: Tracing;
  /** the database's identity, made once by its migration: part of every supplier key (app/keys.ts); `stats` and `check` show it */
  databaseId(): Promise<string>;
  /** where jobs are delivered from, for messages: `the database`, or the Redis URL, prefix and queue */
  readonly queueLabel: string;
  close(): Promise<void>;
}

export async function createWarehouse(config: WarehouseConfig): Promise<Warehouse> {
  const settings: Settings = { ...DEFAULT_SETTINGS, ...config.settings };
  const clock: Clock = typeof config.clock === 'object' ? config.clock : createClock(config.clock ?? 'real', config.virtualStart);
  const database = typeof config.database === 'string' ? parseDatabase(config.database) : config.database;
  const queueConfig = typeof config.queue === 'string' ? parseQueue(config.queue) : config.queue;
  if (queueConfig && clock.mode === 'virtual') {
    throw new UsageError(
      '--clock virtual cannot run jobs from --queue (or REDIS_URL): BullMQ times its delays on the wall clock, so virtual time stays with the in-database queue; drop one of the two',
    );
  }
  const ownsTracing = config.tracing !== undefined && !isTracing(config.tracing);
  // the tracing modules only when spans are asked for: most runs trace nothing (docs/performance.md, start-up)
  const tracing =
    config.tracing === undefined ? NO_TRACING : isTracing(config.tracing) ? config.tracing : await (await import('./tracing.js')).openTracing(config.tracing);
  const traceWith = tracing.enabled ? await import('../app/tracing.js') : null;
  tracing.useClock(clock);
  const closers = createClosers();
  if (ownsTracing) closers.defer(() => tracing.shutdown());
  let stopTracing = () => {};
  closers.defer(() => stopTracing());
  const lockWait = lockWaitOf(config.onLockWait);
  // an engine that runs no job relays nothing: the jobs it enqueues are announced to the relays of others
  if (config.teaching?.naive && database.kind !== 'sqlite') {
    throw new UsageError('the naive reserve strategy is a teaching path of the SQLite adapter only: run it on SQLite (the default in-memory database)');
  }
  if (config.memoryBackend && !(database.kind === 'sqlite' && database.file === ':memory:' && !config.teaching?.naive)) {
    throw new Error('memoryBackend is for a throwaway in-memory database only, without the naive teaching path');
  }
  // the mock's module starts loading now, its file reads overlapping the opening of the database
  const mockModule = config.supplierUrl || config.noJobs ? null : import('../adapters/mock-supplier/mock.js');
  mockModule?.catch(() => undefined); // its failure is met where it is awaited, below
  const backend = config.memoryBackend
    ? (await import('../adapters/memory/index.js')).openMemoryBackend({
        jobAttempts: settings.jobAttempts,
        reserveStrategy: settings.reserveStrategy,
        instanceId: config.databaseId,
      })
    : await closers.unwinding(() =>
        openBackend(database, settings, clock.mode, { notifyEnqueues: config.noJobs === true, naive: config.teaching?.naive, ...lockWait }),
      );
  closers.defer(() => backend.close());
  const traced = traceWith
    ? traceWith.traceStore(backend.store, tracing, {
        system: database.kind === 'sqlite' ? 'sqlite' : 'postgresql',
        namespace: describeDatabase(database),
        strategy: settings.reserveStrategy,
      })
    : backend.store;
  const mock = await closers.unwinding(async (): Promise<MockSupplier | null> => {
    if (!mockModule) return null;
    // loaded only when needed: msw is the heaviest import of a run
    const { startMockSupplier } = await mockModule;
    // its conversations live in the engine's database (tables of its own: the SQLite file, or the
    // PostgreSQL database and schema), so other processes continue them
    // PostgreSQL: on the backend's own pool
    const state = backend.openMockState
      ? await backend.openMockState()
      : await openMockState(database.kind === 'sqlite' ? { file: database.file, busyTimeoutMs: database.busyTimeoutMs, ...lockWait } : database);
    // closed after the mock that answers from it
    closers.defer(() => state.close());
    return startMockSupplier({
      clock,
      wall: createRealClock(),
      script: config.supplierScript,
      transport: config.mockTransport ?? (clock.mode === 'virtual' ? 'direct' : 'intercept'),
      state,
    });
  });
  if (mock) closers.defer(() => mock.close());
  const client = createHttpSupplier({
    tracing,
    baseUrl: config.supplierUrl ?? mock?.baseUrl ?? 'http://no-supplier.invalid',
    fetch: mock?.fetch,
    token: config.supplierToken,
    clock,
    timeoutMs: settings.supplierTimeoutMs,
    // a real supplier under virtual time: wall time must bound the wait too
    wallTimeoutMs: config.supplierUrl && clock.mode === 'virtual' ? Math.max(settings.supplierTimeoutMs, 30_000) : undefined,
  });
  // the in-process mock's state is this engine's database: its trouble is the database's (deferred), never the supplier's
  const plain: TeachingPorts = { store: traced, queue: backend.queue, supplier: mock ? mock.ownFaults(client) : client };
  const { store, queue, supplier } = config.teaching?.ports ? config.teaching.ports(plain) : plain;
  const bus = createBus();
  const random = createRandom(config.seed);
  // the event log is folded by a thread of its own reading the database (a large log would hold
  // the server's loop); an in-memory database, which no other thread can open, on this thread
  const figures = figuresOnFirstRead(async () => {
    const { foldOnThisThread } = await import('../app/stats.js');
    if (database.kind === 'postgres') {
      const { openFiguresThread } = await import('../adapters/postgres/figures-thread.js');
      return openFiguresThread({ url: database.url, schema: database.schema ?? 'public', fallback: foldOnThisThread(store) });
    }
    if (database.file === ':memory:') return foldOnThisThread(store);
    const { openFiguresThread } = await import('../adapters/sqlite/figures-thread.js');
    return openFiguresThread({ file: database.file, busyTimeoutMs: database.busyTimeoutMs ?? 5_000, fallback: foldOnThisThread(store) });
  });
  closers.defer(() => figures.close());
  const bullmq = await closers.unwinding(async (): Promise<Bullmq | null> => {
    if (!queueConfig || config.noJobs) return null;
    // loaded only with --queue: a run without Redis never loads bullmq
    const { openBullmq } = await import('../adapters/bullmq/index.js');
    return openBullmq({ config: queueConfig, jobs: queue, clock, events: driverEventsOf(bus), settings, random, pollMs: config.pollMs });
  });
  if (bullmq) closers.defer(() => bullmq.close());
  if (config.databaseId !== undefined && !(database.kind === 'sqlite' && database.file === ':memory:')) {
    throw new Error('databaseId is for a throwaway in-memory database only: a real database keeps the identity its migration made');
  }
  const databaseId = config.databaseId === undefined ? () => queue.instanceId() : async () => config.databaseId!;
  const handlers = createHandlers({ store, supplier, clock, bus, settings, databaseId });
  const runner = createRunner({
    store,
    queue,
    clock,
    bus,
    settings,
    handlers,
    random,
    workerId: config.workerId,
    pollMs: config.pollMs,
    tracing,
    driver: bullmq ? (parts) => bullmq.driver(parts) : undefined,
  });
  closers.defer(() => runner.drain());
  if (traceWith) stopTracing = traceWith.traceJobOutcomes(bus, tracing);
  // the relay runs while the engine is open, jobs run or not (`serve --no-runner` still relays what it enqueues)
  bullmq?.relay.start();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await closers.closeAll();
  };
  return {
    database,
    store,
    queue,
    idempotency: backend.idempotency,
    tokens: backend.tokens,
    clock,
    bus,
    supplier,
    mock,
    figures,
    backup: (destination) => backend.backup(destination),
    async health() {
      const database = await store.health();
      return database.ok && mock ? mock.health() : database;
    },
    runnerStatus: () => (config.noJobs ? null : runner.status),
    get runner(): Runner {
      if (config.noJobs) throw new Error('this engine was opened with noJobs: it has no supplier and runs no jobs');
      return runner;
    },
    settings,
    tracing,
    databaseId,
    queueLabel: bullmq?.label ?? (queueConfig ? describeQueue(queueConfig) : 'the database'),
    orders: createOrderService({ store, clock, bus, tracing }),
    inventory: createInventoryService({ store, clock }),
    jobs: createJobsService({ queue, store, clock, bus }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A daemon's wait for a lock at open: as long as it lasts, told once (whichever part meets it first). */
function lockWaitOf(tell: ((message: string) => void) | undefined): { lockWaitMs?: number; onLockWait?: (message: string) => void } {
  if (!tell) return {};
  let told = false;
  return {
    lockWaitMs: Number.POSITIVE_INFINITY,
    onLockWait(message) {
      if (told) return;
      told = true;
      tell(message);
    },
  };
}

const isTracing = (t: TracingConfig | Tracing): t is Tracing => typeof (t as Tracing).inSpan === 'function';

/**
 * The figures reader made, and its modules loaded, at the first read: only the HTTP server's
 * /metrics reads one, so no other command loads the thread's modules or the fold
 * (docs/performance.md, start-up). The thread itself started at the first read before too.
 */
function figuresOnFirstRead(open: () => Promise<FiguresReader>): FiguresReader {
  let opened: Promise<FiguresReader> | undefined;
  return {
    read: () => (opened ??= open()).then((reader) => reader.read()),
    async close() {
      const reader = await opened?.catch(() => null);
      await reader?.close();
    },
  };
}

/** The one place that picks a database adapter (exported for the port contract suites). */
export async function openBackend(
  database: DatabaseConfig,
  settings: Settings,
  clock: Clock['mode'] = 'real',
  extra: { notifyEnqueues?: boolean; lockWaitMs?: number; onLockWait?: (message: string) => void; naive?: NaivePause } = {},
): Promise<Backend> {
  const stamp = { jobAttempts: settings.jobAttempts, leaseMs: settings.leaseMs, reserveStrategy: settings.reserveStrategy, clock };
  switch (database.kind) {
    case 'sqlite':
      return openSqliteBackend({ ...database, ...stamp, lockWaitMs: extra.lockWaitMs, onLockWait: extra.onLockWait, naive: extra.naive });
    case 'postgres': {
      // loaded only for PostgreSQL: a SQLite run never loads pg
      const { openPostgresBackend } = await import('../adapters/postgres/index.js');
      return openPostgresBackend({ ...database, ...stamp, notifyEnqueues: extra.notifyEnqueues });
    }
  }
}

/**
 * A clock (the one place that picks a clock adapter): `real`; `virtual`, which the runner jumps
 * when every job waits; `paced`, virtual time moved only by its controls (a class watching).
 * Virtual time starts at `start` (default: now).
 */
export function createClock(kind: 'paced', start?: number): PacedClock;
export function createClock(kind: 'virtual', start?: number): VirtualClockControl;
export function createClock(kind: 'real' | 'virtual' | 'paced', start?: number): Clock;
export function createClock(kind: 'real' | 'virtual' | 'paced', start = Date.now()): Clock {
  switch (kind) {
    case 'real':
      return createRealClock();
    case 'virtual':
      return createVirtualClock(start);
    case 'paced':
      return createPacedClock(start);
  }
}
