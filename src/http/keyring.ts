/**
 * The tokens a running server accepts: `WAREHOUSE_API_TOKEN` (every scope) and the live named tokens
 * of the database (src/ports/tokens.ts), held in memory as hashes and read again every `refreshMs`
 * (default 500 ms), so that `warehouse token revoke` in another process takes effect here within
 * a second. When a refresh fails (the database is away) the last known set stays.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../domain/scopes.js';
import { SCOPES } from '../domain/scopes.js';
import type { ApiTokenStore, TokenHash } from '../ports/tokens.js';

/** sha-256, hex: what the database keeps of a token */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** `Authorization: Bearer <token>` → the token, or '' */
export function bearerOf(header: string | undefined): string {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
}

export interface Holder {
  /** the token's name; `WAREHOUSE_API_TOKEN` for the all-scopes one */
  name: string;
  scopes: readonly Scope[];
}

export interface Keyring {
  /** whether any token is accepted at all (else writes on loopback are open) */
  readonly any: boolean;
  /** the holder of the token in an Authorization header, or null */
  lookup(header: string | undefined): Holder | null;
  refresh(): Promise<void>;
  close(): void;
}

export interface KeyringOptions {
  /** WAREHOUSE_API_TOKEN */
  allScopes?: string;
  refreshMs?: number;
  now: () => number;
  onError: (error: unknown, what: string) => void;
}

const TOUCH_EVERY_MS = 60_000;

export function createKeyring(store: ApiTokenStore, opts: KeyringOptions): Keyring {
  const envDigest = opts.allScopes ? Buffer.from(hashToken(opts.allScopes), 'hex') : null;
  let byHash = new Map<string, TokenHash>();
  /** any named token was ever made (revoked ones count: revoking the last must not open the writes) */
  let made = false;
  const touched = new Map<string, number>();
  const refresh = async () => {
    try {
      const all = await store.hashes();
      made = all.length > 0;
      byHash = new Map(all.filter((t) => !t.revoked).map((t) => [t.hash, t]));
    } catch (error) {
      opts.onError(error, 'reading the API tokens failed; the last known ones stay in force');
    }
  };
  const timer = setInterval(() => void refresh(), opts.refreshMs ?? 500);
  timer.unref();
  return {
    get any() {
      return envDigest !== null || made;
    },
    lookup(header) {
      const given = bearerOf(header);
      const digest = hashToken(given);
      // the all-scopes token is compared in constant time; named ones are found by their hash
      if (envDigest && timingSafeEqual(envDigest, Buffer.from(digest, 'hex')) && given !== '') return { name: 'WAREHOUSE_API_TOKEN', scopes: SCOPES };
      const named = given === '' ? undefined : byHash.get(digest);
      if (!named) return null;
      const now = opts.now();
      if (now - (touched.get(named.name) ?? Number.NEGATIVE_INFINITY) >= TOUCH_EVERY_MS) {
        touched.set(named.name, now);
        store.touch(named.name, now).catch((error: unknown) => opts.onError(error, `recording when token ${named.name} was last used failed`));
      }
      return { name: named.name, scopes: named.scopes };
    },
    refresh,
    close: () => clearInterval(timer),
  };
}
