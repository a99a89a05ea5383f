/**
 * PostgreSQL's errors as the engine's DatabaseErrors (domain/errors.ts), by SQLSTATE and by the
 * driver's network errors, with a message that says what to check. What is not the database's
 * trouble (a constraint a bug broke, our own errors) is returned unchanged.
 *
 * | what                                              | fault         |
 * |---------------------------------------------------|---------------|
 * | 40001 serialization failure, 40P01 deadlock       | `conflict`    |
 * | 55P03 lock timeout, 57014 statement timeout,      | `busy`        |
 * | 53300 too many connections, no connection of the  |               |
 * | pool came free in time (pg-pool's wait)           |               |
 * | 53100 disk full                                   | `full`        |
 * | 58030 I/O error                                   | `io`          |
 * | 25006 read-only transaction (a standby)           | `readonly`    |
 * | class 08, 57P01-03, 3D000, 28xxx, refused / reset | `unavailable` |
 * | / timed-out connections                           |               |
 */
import { DatabaseError, type DatabaseFault } from '../../domain/errors.js';

interface PgLike {
  code?: string;
  message: string;
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
const LOST = /Connection terminated|connection timeout|not queryable|Connection ended|server closed the connection/i;
/**
 * pg-pool's error when a caller waited for one of the pool's connections and none came free in
 * `connectTimeoutMs`: every connection was in use (or still being opened). Not the server out of
 * reach: a connection attempt that times out says "Connection terminated due to connection timeout".
 */
const POOL_WAIT = /^timeout exceeded when trying to connect$/;

/** The driver's error under drizzle's wrapper (DrizzleQueryError keeps it as `cause`). */
function driverError(error: unknown): (Error & PgLike) | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as PgLike).code;
    if ((typeof code === 'string' && (/^[0-9A-Z]{5}$/.test(code) || NETWORK.has(code))) || LOST.test(e.message) || POOL_WAIT.test(e.message)) {
      return e as Error & PgLike;
    }
  }
  return null;
}

function fault(code: string | undefined, message: string): DatabaseFault | null {
  if (code === '40001' || code === '40P01') return 'conflict';
  if (code === '55P03' || code === '57014' || code === '53300' || (!code && POOL_WAIT.test(message))) return 'busy';
  if (code === '53100') return 'full';
  if (code === '58030') return 'io';
  if (code === '25006') return 'readonly';
  if (code && (code.startsWith('08') || code.startsWith('28') || ['57P01', '57P02', '57P03', '3D000', '53200'].includes(code))) return 'unavailable';
  if ((code && NETWORK.has(code)) || LOST.test(message)) return 'unavailable';
  return null;
}

function explain(code: string | undefined, message: string, where: string): string {
  switch (code) {
    case '40001':
      return `a serialization failure on ${where} (${message}); the transaction was rolled back and may simply run again`;
    case '40P01':
      return `a deadlock on ${where} (${message}); the transaction was rolled back and may simply run again`;
    case '55P03':
      return `a row lock on ${where} was not granted in time (${message}); try again when the database is less busy`;
    case '53300':
      return `${where} has no free connection slot (${message}); lower poolSize in the URL or raise max_connections`;
    case '3D000':
      return `${message} on ${where}: create it (createdb) or fix the database name in the URL`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login (${message}): check the user and password in the URL`;
    default:
      if (!code && POOL_WAIT.test(message)) {
        return `no connection to ${where} came free in time (${message}): all of the pool's connections stayed in use, or were still being opened; the database is slow or out of reach, or more work arrives than the pool serves: raise poolSize in the URL, or lower the load`;
      }
      if (code?.startsWith('08') || (code && NETWORK.has(code)) || LOST.test(message) || code?.startsWith('57P')) {
        return `cannot reach PostgreSQL at ${where} (${message}): check that the server is running and the URL's host, port, user and database`;
      }
      return `PostgreSQL at ${where}: ${message}`;
  }
}

/** A DatabaseError for the database's trouble; null for anything else (left as it is). */
export function describePgError(error: unknown, where: string): DatabaseError | null {
  if (error instanceof DatabaseError) return error;
  const e = driverError(error);
  if (!e) return null;
  const f = fault(e.code, e.message);
  if (!f) return null;
  return new DatabaseError(explain(e.code, e.message, where), where, { cause: e, fault: f });
}

/** The SQLSTATE of a driver error under any wrapping, for the adapter's own counters. */
export function sqlState(error: unknown): string | undefined {
  return driverError(error)?.code;
}
