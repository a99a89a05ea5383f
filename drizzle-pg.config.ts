import { defineConfig } from 'drizzle-kit';

/** PostgreSQL migrations (src/adapters/postgres/schema.ts → drizzle-pg/); SQLite's are in drizzle.config.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/adapters/postgres/schema.ts',
  out: './drizzle-pg',
});
