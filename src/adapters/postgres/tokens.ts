/** PostgreSQL implementation of the ApiTokenStore port (src/ports/tokens.ts); the SQLite one is the reference. */
import type { ApiTokenStore } from '../../ports/tokens.js';
import { storedScopes as scopesOf } from '../../domain/scopes.js';
import type { PgConnection } from './connection.js';

interface Row {
  name: string;
  scopes: string;
  hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const num = (v: string | null) => (v === null ? null : Number(v));

export function createPostgresTokenStore(c: PgConnection): ApiTokenStore {
  const query = (text: string, params: unknown[] = []) => c.read(async () => c.pool.query<Row>(text, params));
  return {
    async create({ name, scopes, hash, createdAt }) {
      const r = await query(`INSERT INTO api_tokens (name, scopes, hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`, [
        name,
        scopes.join(','),
        hash,
        createdAt,
      ]);
      return r.rowCount === 1 ? 'created' : 'name_taken';
    },
    async list() {
      const { rows } = await query(`SELECT * FROM api_tokens ORDER BY created_at, name`);
      return rows.map((r) => ({
        name: r.name,
        scopes: scopesOf(r.scopes),
        createdAt: Number(r.created_at),
        lastUsedAt: num(r.last_used_at),
        revokedAt: num(r.revoked_at),
      }));
    },
    async revoke(name, now) {
      return (await query(`UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`, [now, name])).rowCount === 1;
    },
    async hashes() {
      const { rows } = await query(`SELECT name, scopes, hash, revoked_at FROM api_tokens`);
      return rows.map((r) => ({ name: r.name, scopes: scopesOf(r.scopes), hash: r.hash, revoked: r.revoked_at !== null }));
    },
    async touch(name, now) {
      await query(`UPDATE api_tokens SET last_used_at = $1 WHERE name = $2`, [now, name]);
    },
  };
}
