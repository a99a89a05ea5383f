/**
 * Named API tokens (`warehouse token create|list|revoke`, docs/security.md): a token is 32 random
 * bytes in base64url, shown once; the database keeps only its sha-256. Bad input (an unknown
 * scope, a name in use, a revoke of no live token) is a UsageError naming what is valid, and
 * nothing is written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '../domain/errors.js';
import { assertTokenName, type Scope } from '../domain/scopes.js';
import type { Clock } from '../ports/clock.js';
import type { ApiToken, ApiTokenStore } from '../ports/tokens.js';

export interface NewToken {
  name: string;
  scopes: Scope[];
  /** the token itself: shown once, never stored */
  token: string;
}

export function createTokenService(store: ApiTokenStore, clock: Clock) {
  return {
    async create(name: string, scopes: Scope[]): Promise<NewToken> {
      assertTokenName(name);
      const token = randomBytes(32).toString('base64url');
      const hash = createHash('sha256').update(token).digest('hex');
      if ((await store.create({ name, scopes, hash, createdAt: clock.now() })) === 'name_taken') {
        const names = (await store.list()).map((t) => t.name);
        throw new UsageError(
          `a token named ${JSON.stringify(name)} already exists (names in use: ${names.join(', ')}); choose another --name, or revoke it and make one with a new name`,
        );
      }
      return { name, scopes, token };
    },
    list: (): Promise<ApiToken[]> => store.list(),
    async revoke(name: string): Promise<void> {
      if (await store.revoke(name, clock.now())) return;
      const all = await store.list();
      const live = all.filter((t) => t.revokedAt === null).map((t) => t.name);
      const was = all.some((t) => t.name === name);
      throw new UsageError(
        `${was ? `the token ${JSON.stringify(name)} is already revoked` : `no token is named ${JSON.stringify(name)}`}; ${
          live.length ? `live tokens: ${live.join(', ')}` : 'there are no live tokens'
        } (warehouse token list)`,
      );
    },
  };
}
