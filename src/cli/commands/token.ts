/**
 * `warehouse token create|list|revoke`: named API tokens with scopes (docs/security.md). `create`
 * prints the token once, as the last line of stdout (`--json`: `{name, scopes, token}`); only its
 * hash is stored. `list` never shows a token. A revoke reaches running servers within a second.
 */
import { createTokenService } from '../../app/tokens.js';
import { assertTokenName, parseScopes, SCOPES } from '../../domain/scopes.js';
import type { Ctx } from '../context.js';
import { table, when } from '../render.js';

const flagList = (v: unknown): string[] => (v === undefined ? [] : [v].flat().map(String));

export async function create(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  // checked before the database is opened: bad input writes nothing
  const name = assertTokenName(opts.name === undefined ? undefined : String(opts.name));
  const scopes = parseScopes(flagList(opts.scope));
  await using w = await ctx.open();
  const made = await createTokenService(w.tokens, w.clock).create(name, scopes);
  if (ctx.opts.json) ctx.json(made);
  else {
    ctx.say(ctx.c.dim(`token "${made.name}" (${made.scopes.join(', ')}) made; it is shown once, here, and only its hash is kept:`));
    ctx.io.stdout.write(`${made.token}\n`);
  }
  return 0;
}

export async function list(ctx: Ctx): Promise<number> {
  await using w = await ctx.open();
  const tokens = await createTokenService(w.tokens, w.clock).list();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  if (ctx.opts.json)
    ctx.json(tokens.map((t) => ({ name: t.name, scopes: t.scopes, createdAt: iso(t.createdAt), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) })));
  else if (tokens.length === 0) ctx.say(`no tokens; make one with \`warehouse token create --name NAME --scope ${SCOPES.join(',')}\``);
  else
    ctx.say(
      table(
        ['name', 'scopes', 'created (UTC)', 'last used (UTC)', 'revoked (UTC)'],
        tokens.map((t) => [
          t.name,
          t.scopes.join(','),
          when(t.createdAt),
          t.lastUsedAt === null ? '-' : when(t.lastUsedAt),
          t.revokedAt === null ? '-' : when(t.revokedAt),
        ]),
        ctx.c,
      ),
    );
  return 0;
}

export async function revoke(ctx: Ctx, [name]: string[]): Promise<number> {
  await using w = await ctx.open();
  await createTokenService(w.tokens, w.clock).revoke(name!);
  if (ctx.opts.json) ctx.json({ name, revoked: true });
  else ctx.say(`token "${name}" revoked; running servers refuse it within a second`);
  return 0;
}
