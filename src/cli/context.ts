/**
 * What every command receives: where to write, how (JSON or human, colour or not), and how to
 * open the engine with the global options. Commands return an exit code; only bin/ exits.
 */
import type { ChalkInstance } from 'chalk';
import { UsageError } from '../domain/errors.js';
import type { Settings } from '../domain/settings.js';
import type { SupplierScript } from '../domain/supplier-script.js';
import type { Warehouse, WarehouseConfig } from '../wiring/warehouse.js';
import { describeDatabase, resolveDatabase, type DatabaseConfig, type QueueConfig } from '../config.js';
import { NO_TRACING, type Tracing } from '../ports/tracing.js';
import { PLAIN } from './plain.js';

export interface GlobalOptions {
  /** --database (or its alias --db): a SQLite file or a postgres:// URL; the environment otherwise */
  database?: string;
  db?: string;
  json: boolean;
  color: boolean;
  supplierUrl?: string;
  supplierToken?: string;
  durability: 'full' | 'normal';
  /** --group-commit (the default) or --no-group-commit; WAREHOUSE_GROUP_COMMIT=0 changes the default */
  groupCommit: boolean;
  /** --trace-file (or WAREHOUSE_TRACE_FILE): spans as OTLP JSON lines; `warehouse trace` reads it */
  traceFile?: string;
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface Ctx {
  io: Io;
  opts: GlobalOptions;
  /** the database this command runs on, parsed once (config.ts) */
  database: DatabaseConfig;
  /** the database for messages: the file, or the URL without its password */
  databaseLabel: string;
  c: ChalkInstance;
  /** the command's tracing (cli/tracing.ts); NO_TRACING unless asked for; engines opened by `open` use it */
  tracing: Tracing;
  /** human output, to stdout unless --json (then to stderr, so stdout stays pure JSON) */
  say(line?: string): void;
  /** machine output: one JSON document on stdout */
  json(value: unknown): void;
  /** The engine, for a command that runs no job unless `runsJobs` (then with its supplier). */
  open(extra?: {
    runsJobs?: boolean;
    clock?: 'real' | 'virtual';
    script?: SupplierScript;
    settings?: Partial<Settings>;
    seed?: number;
    queue?: QueueConfig;
    /** a daemon's: wait for another process's lock met while opening as long as it lasts, telling this once */
    onLockWait?: (message: string) => void;
  }): Promise<Warehouse>;
}

export async function createCtx(io: Io, opts: GlobalOptions): Promise<Ctx> {
  if (opts.database !== undefined && opts.db !== undefined && opts.database !== opts.db) {
    throw new UsageError('give --database or --db (the same option), not both');
  }
  const grouped = io.env.WAREHOUSE_GROUP_COMMIT;
  if (grouped !== undefined && grouped !== '' && grouped !== '0' && grouped !== '1') {
    throw new UsageError(
      `WAREHOUSE_GROUP_COMMIT must be 1 (group commit, the default) or 0 (one commit per write, as --no-group-commit) (got ${JSON.stringify(grouped)})`,
    );
  }
  const busy = io.env.WAREHOUSE_BUSY_TIMEOUT_MS;
  const database = resolveDatabase(opts.database ?? opts.db, io.env, {
    durability: opts.durability,
    groupCommit: opts.groupCommit,
    busyTimeoutMs: busy ? Number(busy) : undefined,
  });
  const colour = opts.color && !io.env.NO_COLOR && Boolean(io.stdout.isTTY);
  const level = colour ? (io.env.FORCE_COLOR === '0' ? 0 : 1) : 0;
  // chalk only for colour: without it, PLAIN does what chalk at level 0 does, unloaded (plain.ts)
  const c = level === 0 ? PLAIN : new (await import('chalk')).Chalk({ level });
  const ctx: Ctx = {
    io,
    opts,
    database,
    databaseLabel: describeDatabase(database),
    c,
    tracing: NO_TRACING,
    say(line = '') {
      (opts.json ? io.stderr : io.stdout).write(`${line}\n`);
    },
    json(value) {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    async open(extra = {}) {
      const { createWarehouse } = await import('../wiring/warehouse.js');
      const tracing = ctx.tracing;
      const config: WarehouseConfig = {
        database,
        clock: extra.clock ?? 'real',
        supplierUrl: opts.supplierUrl,
        supplierToken: opts.supplierToken || undefined,
        noJobs: !extra.runsJobs,
        supplierScript: extra.script,
        settings: extra.settings,
        seed: extra.seed,
        tracing,
        queue: extra.queue,
        onLockWait: extra.onLockWait,
      };
      return createWarehouse(config);
    },
  };
  return ctx;
}

/** A flag whose value must be one of a few words. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}
