/**
 * A LIMIT that SQLite plans once. Since 3.47 SQLite reads the value bound to a `LIMIT ?` while it
 * plans the query and marks the statement to be prepared again whenever that parameter is bound
 * anew; better-sqlite3 binds every parameter on every call, so each call of a statement built with
 * drizzle's `.limit(n)` (which binds n) was re-prepared: 6–13 µs instead of 0.3–0.5 µs on this
 * machine, on the hottest statements (is a job due, claim due jobs, an order's supplier key).
 * `CAST(? AS INTEGER)` is an expression the planner does not read, so the plan stays (a constant
 * is written into the SQL instead). Measured in docs/performance.md ("LIMIT ? re-prepared").
 */
import type { Placeholder, SQL } from 'drizzle-orm';
import { sql } from './drizzle.js';

/** for drizzle's `.limit()`: a constant or a placeholder, never re-prepared (anything but a non-negative integer is drizzle's to handle, as before) */
export function limitOf(n: number | Placeholder): number {
  if (typeof n === 'number' && !(Number.isSafeInteger(n) && n >= 0)) return n;
  const out: SQL = typeof n === 'number' ? sql.raw(String(n)) : sql`cast(${n} as integer)`;
  // drizzle's SQLite dialect writes any SQL object after `limit` as it is (sqlite-core/dialect.js buildLimit)
  return out as unknown as number;
}
