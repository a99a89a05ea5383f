import { defineConfig } from 'drizzle-kit';

/**
 * PostgreSQL migrations (src/adapters/postgres/schema.ts → drizzle-pg/; `npm run db:generate:pg`);
 * SQLite's are in drizzle.config.ts. drizzle-kit writes `REFERENCES "public".` in foreign keys:
 * remove the prefix from a new migration (the tables live in the backend's search_path schema);
 * test/postgres/database.test.ts fails while one is left.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/adapters/postgres/schema.ts',
  out: './drizzle-pg',
});
