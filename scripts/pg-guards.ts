/** Writes drizzle-pg/0001_order_state_guards.sql from the domain's transition table (src/adapters/postgres/guards.ts). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderStateGuardsSql } from '../src/adapters/postgres/guards.js';

const file = join(import.meta.dirname, '..', 'drizzle-pg', '0001_order_state_guards.sql');
writeFileSync(file, orderStateGuardsSql());
console.log(`wrote ${file}`);
