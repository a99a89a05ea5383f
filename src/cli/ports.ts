/**
 * A port the command cannot listen on is the user's to fix, not a bug: which port, on which
 * address, and the flag that changes it (exit 2). Used by every command that listens: `serve`,
 * `demo --dashboard`, `supplier serve`, and `up` (which checks its ports before it starts anything).
 */
import { createServer } from 'node:net';
import { UsageError } from '../domain/errors.js';

/** The listen error as a UsageError naming the port and `flag`; any other error unchanged. */
export function listenProblem(error: unknown, port: number, host: string, flag: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return new UsageError(`port ${port} on ${host} is in use by another program: pass another ${flag} (0 picks a free one)`);
  if (code === 'EACCES')
    return new UsageError(`port ${port} on ${host} needs privileges this process does not have: pass another ${flag}, 1024 or above (0 picks a free one)`);
  if (code === 'EADDRNOTAVAIL') return new UsageError(`cannot listen on ${host}: it is not an address of this machine; pass another --host`);
  return error;
}

/**
 * Resolves when `port` (not 0) can be listened on at `host`, by listening and closing at once;
 * otherwise throws listenProblem's UsageError. (Another program may still take it in between:
 * the command that listens then says so itself.)
 */
export async function checkPortFree(port: number, host: string, flag: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenProblem(error, port, host, flag)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
