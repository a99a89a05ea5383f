/**
 * Which database an engine runs on: a tagged value, parsed once from the command line or the
 * environment (`--database`, its alias `--db`, then `WAREHOUSE_DB`, then `DATABASE_URL`, then
 * `./warehouse.db`), and handed to `createWarehouse`, which picks the adapter.
 */
import { DURATION_FORM, parseDuration } from './domain/duration.js';
import { UsageError } from './domain/errors.js';

export interface SqliteConfig {
  kind: 'sqlite';
  /** a file path, or ':memory:' */
  file: string;
  /** synchronous=FULL (default: an acknowledged write survives power loss) or NORMAL */
  durability?: 'full' | 'normal';
  /**
   * batch the writes of one event-loop turn into one commit (default true: group commit); false
   * gives each write a transaction of its own (`--no-group-commit`, `WAREHOUSE_GROUP_COMMIT=0`)
   */
  groupCommit?: boolean;
  /** how long a write waits for another process's lock before giving up (default 5 s) */
  busyTimeoutMs?: number;
  /** SQLite's own check of the file at open (default `auto`: by size, see adapters/sqlite/open.ts) */
  quickCheck?: boolean | 'auto';
}

export interface PostgresConfig {
  kind: 'postgres';
  /** postgres://user@host:port/database, without the two query parameters below */
  url: string;
  /** connections in the pool (default 10); `?poolSize=N` in the URL */
  poolSize?: number;
  /** a schema of its own (default `public`): tests and side-by-side runs use one each; `?schema=name` in the URL */
  schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** `?poolSize=` and `?schema=` are ours: taken out of the URL (the rest goes to the driver as it is). */
function parsePostgres(value: string): PostgresConfig {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--database ${JSON.stringify(value)} is not a valid URL; write it as postgres://user@host:5432/database`);
  }
  const config: PostgresConfig = { kind: 'postgres', url: value };
  const pool = url.searchParams.get('poolSize');
  if (pool !== null) {
    const n = /^\d{1,4}$/.test(pool) ? Number(pool) : NaN;
    if (!(n >= 1 && n <= 1000)) throw new UsageError(`poolSize in the database URL must be a whole number from 1 to 1000 (got ${JSON.stringify(pool)})`);
    config.poolSize = n;
    url.searchParams.delete('poolSize');
  }
  const schema = url.searchParams.get('schema');
  if (schema !== null) {
    if (!SCHEMA_NAME.test(schema)) {
      throw new UsageError(`schema in the database URL must be a lower-case name of letters, digits and _ (got ${JSON.stringify(schema)})`);
    }
    config.schema = schema;
    url.searchParams.delete('schema');
  }
  if (pool !== null || schema !== null) config.url = url.toString();
  return config;
}

export type DatabaseConfig = SqliteConfig | PostgresConfig;

export const DEFAULT_DATABASE = './warehouse.db';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** A file path (or `sqlite:path`) is SQLite; a `postgres://` URL is PostgreSQL. */
export function parseDatabase(text: string, sqlite: Omit<SqliteConfig, 'kind' | 'file'> = {}): DatabaseConfig {
  const value = text.trim();
  if (value === '') throw new UsageError('--database needs a SQLite file path or a postgres:// URL');
  if (POSTGRES_URL.test(value)) return parsePostgres(value);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UsageError(`--database ${JSON.stringify(value)}: only SQLite files and postgres:// URLs are supported`);
  }
  return { kind: 'sqlite', file: value.replace(/^sqlite:/i, ''), ...sqlite };
}

/** The database named by the flag, or the environment, or the default file. */
export function resolveDatabase(flag: string | undefined, env: NodeJS.ProcessEnv, sqlite: Omit<SqliteConfig, 'kind' | 'file'> = {}): DatabaseConfig {
  const text = flag ?? env.WAREHOUSE_DB ?? (env.DATABASE_URL && POSTGRES_URL.test(env.DATABASE_URL) ? env.DATABASE_URL : undefined) ?? DEFAULT_DATABASE;
  return parseDatabase(text, sqlite);
}

/** For messages and logs: the file, or the URL without its password. */
export function describeDatabase(config: DatabaseConfig): string {
  if (config.kind === 'sqlite') return config.file;
  try {
    const url = new URL(config.url);
    if (url.password) url.password = '***';
    return url.toString() + (config.schema ? ` (schema ${config.schema})` : '');
  } catch {
    return 'postgres (invalid URL)';
  }
}

/**
 * Where jobs are delivered from (docs/design.md §12). Absent: the in-database queue (the jobs table is the
 * outbox and the queue). `redis`: BullMQ on that server; the jobs table stays the outbox and the
 * source of truth, and a relay in every process hands its rows to BullMQ (docs/architecture.md,
 * "Jobs on Redis").
 */
export interface RedisQueueConfig {
  kind: 'redis';
  /** redis://[user:password@]host:port[/db] (or rediss://), without our query parameters */
  url: string;
  /** the prefix of every key (default `warehouse`); `?prefix=` in the URL */
  prefix: string;
  /**
   * How long a job handed to Redis may stay unclaimed after it became due before the relay takes
   * it for lost and hands it over again (default 60 s, at least twice the lease); `?redeliverAfter=`.
   */
  redeliverAfterMs?: number;
}

export type QueueConfig = RedisQueueConfig;

const REDIS_URL = /^rediss?:\/\//i;
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;

/** `--queue redis://…`: the URL, with `?prefix=` and `?redeliverAfter=` taken out. */
export function parseQueue(text: string): QueueConfig {
  const value = text.trim();
  if (!REDIS_URL.test(value)) {
    throw new UsageError(`--queue ${JSON.stringify(value)}: only redis:// (or rediss://) URLs are supported, such as redis://127.0.0.1:6379`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--queue ${JSON.stringify(value)} is not a valid URL; write it as redis://host:6379`);
  }
  const config: RedisQueueConfig = { kind: 'redis', url: value, prefix: 'warehouse' };
  const prefix = url.searchParams.get('prefix');
  if (prefix !== null) {
    if (!PREFIX.test(prefix)) throw new UsageError(`prefix in the queue URL must be 1 to 64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(prefix)})`);
    config.prefix = prefix;
    url.searchParams.delete('prefix');
  }
  const redeliver = url.searchParams.get('redeliverAfter');
  if (redeliver !== null) {
    const ms = parseDuration(redeliver);
    if (ms === null || ms < 100)
      throw new UsageError(`redeliverAfter in the queue URL must be ${DURATION_FORM}, 100ms or more (got ${JSON.stringify(redeliver)})`);
    config.redeliverAfterMs = ms;
    url.searchParams.delete('redeliverAfter');
  }
  if (prefix !== null || redeliver !== null) config.url = url.toString();
  return config;
}

/** The queue named by the flag, or REDIS_URL; undefined: the in-database queue. */
export function resolveQueue(flag: string | undefined, env: NodeJS.ProcessEnv): QueueConfig | undefined {
  const text = flag ?? env.REDIS_URL;
  return text === undefined || text.trim() === '' ? undefined : parseQueue(text);
}

/** For messages and logs: the URL without its password, and the prefix. */
export function describeQueue(config: QueueConfig | undefined): string {
  if (!config) return 'the database';
  try {
    const url = new URL(config.url);
    if (url.password) url.password = '***';
    return `${url.toString()} (prefix ${config.prefix})`;
  } catch {
    return 'redis (invalid URL)';
  }
}
