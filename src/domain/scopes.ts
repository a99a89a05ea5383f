/**
 * Scopes of the API's named tokens (docs/security.md). A token carries one or more; a request
 * needs exactly one, decided by its route (src/http/scopes.ts):
 *
 * - `read`: every GET, the event stream, `/metrics` (open on loopback, and beyond it with `--public-reads`)
 * - `orders:write`: create orders
 * - `stock:write`: set a count, restock
 * - `ops:write`: the clock, dead-letter retry, resume, supplier scripts
 *
 * `WAREHOUSE_API_TOKEN` holds every scope.
 */
import { UsageError } from './errors.js';

export const SCOPES = ['read', 'orders:write', 'stock:write', 'ops:write'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** `read,orders:write` (or several flags) → the scopes, each once, in SCOPES order; an unknown one is a UsageError listing the valid ones. */
export function parseScopes(values: readonly string[]): Scope[] {
  const given = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const unknown = given.filter((s) => !isScope(s));
  if (unknown.length > 0)
    throw new UsageError(`unknown scope ${unknown.map((s) => JSON.stringify(s)).join(', ')}: the scopes are ${SCOPES.join(', ')} (comma-separated)`);
  if (given.length === 0) throw new UsageError(`--scope is required: one or more of ${SCOPES.join(', ')} (comma-separated)`);
  return SCOPES.filter((s) => given.includes(s));
}

/** a token's name: what `token revoke` and the logs call it */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function assertTokenName(name: string | undefined): string {
  if (!name || !TOKEN_NAME.test(name))
    throw new UsageError(`--name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(name ?? '')})`);
  return name;
}

/** scopes as stored (comma-separated); a scope the code no longer knows is dropped, never granted */
export const storedScopes = (text: string): Scope[] => text.split(',').filter(isScope);
