/**
 * The API token store port: named tokens with scopes (src/domain/scopes.ts), kept as hashes only.
 * The token itself is shown once, when made (`warehouse token create`), and never stored.
 *
 * Contract:
 * - `create` stores a new name; a name already used (revoked or not) is `name_taken`, nothing written.
 * - `revoke` marks a live token revoked at `now`; `false` when no live token has that name.
 * - `hashes` lists every token with its hash, revoked ones too (a revoked token still means the
 *   server has tokens: revoking the last one must not open its writes to anyone): servers keep
 *   them in memory and read them again at least once a second, so a revoke takes effect on a
 *   running server within a second.
 * - `touch` records when a token was last used (servers call it at most once a minute per token).
 *
 * Times come from the caller's Clock, never from the database.
 */
import type { Scope } from '../domain/scopes.js';

export interface ApiToken {
  name: string;
  scopes: Scope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface TokenHash {
  name: string;
  scopes: Scope[];
  /** sha-256 of the token, hex */
  hash: string;
  revoked: boolean;
}

export interface ApiTokenStore {
  create(token: { name: string; scopes: Scope[]; hash: string; createdAt: number }): Promise<'created' | 'name_taken'>;
  list(): Promise<ApiToken[]>;
  revoke(name: string, now: number): Promise<boolean>;
  hashes(): Promise<TokenHash[]>;
  touch(name: string, now: number): Promise<void>;
}
