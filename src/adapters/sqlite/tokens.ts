/** SQLite implementation of the ApiTokenStore port (src/ports/tokens.ts) over `api_tokens`. */
import { storedScopes as scopesOf } from '../../domain/scopes.js';
import type { ApiTokenStore } from '../../ports/tokens.js';
import type { Connection } from './connection.js';

interface Row {
  name: string;
  scopes: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export function createSqliteTokenStore(c: Connection): ApiTokenStore {
  const db = c.raw;
  const insert = db.prepare<[string, string, string, number]>(
    `INSERT INTO api_tokens (name, scopes, hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
  );
  const all = db.prepare<[], Row>(`SELECT * FROM api_tokens ORDER BY created_at, name`);
  const revoke = db.prepare<[number, string]>(`UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`);
  const touch = db.prepare<[number, string]>(`UPDATE api_tokens SET last_used_at = ? WHERE name = ?`);
  return {
    async create({ name, scopes, hash, createdAt }) {
      const changes = await c.writeAlone(() => insert.run(name, scopes.join(','), hash, createdAt).changes);
      return changes === 1 ? 'created' : 'name_taken';
    },
    async list() {
      const rows = await c.read(() => all.all());
      return rows.map((r) => ({ name: r.name, scopes: scopesOf(r.scopes), createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
    },
    async revoke(name, now) {
      return (await c.writeAlone(() => revoke.run(now, name).changes)) === 1;
    },
    async hashes() {
      const rows = await c.read(() => all.all());
      return rows.map((r) => ({ name: r.name, scopes: scopesOf(r.scopes), hash: r.hash, revoked: r.revoked_at !== null }));
    },
    async touch(name, now) {
      await c.write(() => touch.run(now, name));
    },
  };
}
