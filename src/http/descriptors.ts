/**
 * A reserve of file descriptors: the server takes connections only up to its process's open-file
 * limit minus a reserve, so that a flood of connections (event streams that never read, idle
 * sockets) cannot leave it without descriptors for its database, its log and the next /healthz.
 * Past the limit Node closes a new connection at once instead of failing every accept with EMFILE.
 */
import { readFileSync } from 'node:fs';

/** descriptors kept for everything but client connections: the database and its WAL, logs, outgoing calls */
export const DESCRIPTOR_RESERVE = 64;

/** the soft limit on open files (Linux: /proc/self/limits), or null where it cannot be read */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(read());
    return m && m[1] !== 'unlimited' ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** the connections a server may hold: the limit less the reserve (a tenth of it, at least DESCRIPTOR_RESERVE) */
export function connectionLimit(limit = openFileLimit()): number | null {
  if (limit === null) return null;
  return Math.max(16, limit - Math.max(DESCRIPTOR_RESERVE, Math.ceil(limit / 10)));
}
