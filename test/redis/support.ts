/**
 * Redis for the tests: the server (REDIS_URL, default 127.0.0.1:6379), a key prefix of each test's
 * own (dropped after the test file), and the rule for a missing server: the tests that need it are
 * skipped with one printed line, except under CI=true, where they fail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_TEST_URL = process.env.REDIS_URL && /^rediss?:\/\//.test(process.env.REDIS_URL) ? process.env.REDIS_URL : 'redis://127.0.0.1:6379';

/** `null` when the test server answers; otherwise why not (one line). */
export async function redisUnavailable(url = REDIS_TEST_URL): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    client.disconnect();
  }
}

/**
 * Whether the Redis tests run: `true`, or `false` after printing why once. Under CI=true a
 * missing server throws (the file fails).
 */
export async function redisOrSkip(what: string): Promise<boolean> {
  const why = await redisUnavailable();
  if (!why) {
    await dropOrphanPrefixes();
    return true;
  }
  if (process.env.CI === 'true') throw new Error(`Redis at ${REDIS_TEST_URL} does not answer (${why}); ${what} need it (CI=true)`);
  console.log(`${what} skipped: no Redis answers at ${REDIS_TEST_URL} (${why}); start it or set REDIS_URL`);
  return false;
}

const prefixes: string[] = [];
let count = 0;
if (process.env.VITEST) {
  const { afterAll } = await import('vitest');
  afterAll(async () => {
    if (prefixes.length > 0 && !(await redisUnavailable())) await dropPrefixes(prefixes.splice(0));
  });
}

/** A key prefix of this test's own, dropped after the test file. */
export function testPrefix(): string {
  const p = `wht-${process.pid}-${++count}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  prefixes.push(p);
  return p;
}

/** `--queue` for a fresh prefix (and any of our URL parameters). */
export function testQueueUrl(params: Record<string, string> = {}, url = REDIS_TEST_URL): string {
  const u = new URL(url);
  u.searchParams.set('prefix', testPrefix());
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

export async function dropPrefixes(names: string[], url = REDIS_TEST_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    for (const name of names) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${name}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

/** Drops the keys of test runs that were killed before their cleanup (`wht-<pid>-…` of a pid that is gone). */
async function dropOrphanPrefixes(url = REDIS_TEST_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  try {
    const orphans = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'wht-*', 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const prefix = key.split(':')[0]!;
        const pid = Number(prefix.split('-')[1]);
        if (Number.isInteger(pid) && pid > 0 && !alive(pid)) orphans.add(prefix);
      }
    } while (cursor !== '0');
    if (orphans.size > 0) await dropPrefixes([...orphans], url);
  } finally {
    client.disconnect();
  }
}

/** A free TCP port on 127.0.0.1 (for a private redis-server, or a supplier that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own on `port`, keeping nothing on disk: stopping it (by its pid,
 * never the shared server) and starting another on the same port is Redis losing everything.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILL, then resolves when it is gone */
  kill(): Promise<void>;
  /** a new empty server on the same port; resolves when it answers */
  restart(): Promise<void>;
}

export async function privateRedis(port?: number): Promise<PrivateRedis> {
  const p = port ?? (await freePort());
  const url = `redis://127.0.0.1:${p}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn(
      'redis-server',
      ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    child = started;
    // ready when it says so (or gone: the caller's next command then fails with the reason)
    await new Promise<void>((resolve) => {
      let seen = '';
      const onData = (d: Buffer) => {
        seen += d.toString();
        if (!seen.includes('Ready to accept connections')) return;
        started.stdout!.off('data', onData).resume(); // its later lines are drained, not kept
        resolve();
      };
      started.stdout!.on('data', onData);
      started.once('exit', () => resolve());
    });
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  };
  await start();
  // a safety net: the test kills it; this process's end kills it at the latest
  process.once('exit', () => void (child as ChildProcess | null)?.kill('SIGKILL'));
  return { url, port: p, kill, restart: start };
}
