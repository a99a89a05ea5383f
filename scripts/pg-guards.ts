/**
 * Appends the order guard function, as src/domain/order.ts TRANSITIONS says today, to the newest
 * PostgreSQL migration (replacing what an earlier run of this script appended there): run by
 * `npm run db:generate:pg` after drizzle-kit (src/adapters/postgres/guards.ts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUARDS_MARKER, orderGuardFunctionSql } from '../src/adapters/postgres/guards.js';

const folder = join(import.meta.dirname, '..', 'drizzle-pg');
const newest = readdirSync(folder)
  .filter((f) => /^\d{4}_.*\.sql$/.test(f))
  .sort()
  .at(-1)!;
const file = join(folder, newest);
const text = readFileSync(file, 'utf8');
const at = text.indexOf(GUARDS_MARKER);
const before = (at === -1 ? text : text.slice(0, at)).replace(/(--> statement-breakpoint\s*)?$/, '').trimEnd();
writeFileSync(file, `${before}--> statement-breakpoint\n${orderGuardFunctionSql()}`);
console.log(`wrote the order guards into ${file}`);
