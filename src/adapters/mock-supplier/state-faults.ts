/**
 * The in-process mock's state lives in the engine's own database (`mock_*` tables in its SQLite
 * file or PostgreSQL schema), so its trouble is the database's trouble, not the supplier's
 * (docs/design.md §7). Over HTTP it can only answer 503 or not answer in time, which the client
 * must read as the supplier's failure; this watch keeps the truth beside the wire:
 *
 * - every state call is watched under the id of the request it answers (the Idempotency-Key of a
 *   reserve, the ref of a status call);
 * - when the client's call fails, `behind(id)` says whether the state was the cause: the error the
 *   state threw for that id (a DatabaseError: locked, corrupt, unreachable…), or, when the state's
 *   call for it is still waiting (a lock held on a mock table outlasted the client's timeout), a
 *   `busy` DatabaseError saying so; null when the supplier itself failed (a scripted error or
 *   timeout: the state had answered);
 * - `health()` reports the state's last database fault until a state call succeeds again.
 *
 * `supplier serve` keeps its state in a database of its own: there its trouble is the supplier's,
 * and nothing here is used.
 */
import { DatabaseError, type DatabaseFault } from '../../domain/errors.js';

export type StateHealth = { ok: true } | { ok: false; fault: DatabaseFault; message: string };

export interface StateFaults {
  /** `op`, the state's call for request `id`, watched */
  watch<T>(id: string, op: Promise<T>): Promise<T>;
  /** the state's trouble behind a failed call for `id` (taken once), or null: the supplier's own */
  behind(id: string): Error | null;
  health(): StateHealth;
}

const WHOSE = "the mock supplier's state (its mock_* tables in the engine's database)";

export function createStateFaults(): StateFaults {
  const pending = new Map<string, number>();
  const failed = new Map<string, Error>();
  let last: DatabaseError | null = null;
  const done = (id: string) => {
    const n = (pending.get(id) ?? 1) - 1;
    if (n > 0) pending.set(id, n);
    else pending.delete(id);
  };
  return {
    watch(id, op) {
      pending.set(id, (pending.get(id) ?? 0) + 1);
      return op.then(
        (value) => {
          done(id);
          failed.delete(id);
          last = null;
          return value;
        },
        (error: unknown) => {
          done(id);
          const e = error instanceof Error ? error : new Error(String(error));
          failed.set(id, e);
          if (e instanceof DatabaseError) last = e;
          throw error;
        },
      );
    },
    behind(id) {
      const e = failed.get(id);
      if (e) {
        failed.delete(id);
        return e;
      }
      if (!pending.has(id)) return null;
      last = new DatabaseError(
        `${WHOSE} did not answer before the supplier call timed out: another session holds a lock on them, or the database is slow; the job is deferred without spending an attempt`,
        undefined,
        { fault: 'busy' },
      );
      return last;
    },
    health() {
      return last ? { ok: false, fault: last.fault, message: `${WHOSE}: ${last.message}` } : { ok: true };
    },
  };
}
