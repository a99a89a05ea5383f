/** The PostgreSQL server the tests use: DATABASE_URL when it is a postgres:// URL, else the local one. */
export const PG_TEST_URL =
  process.env.DATABASE_URL && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : 'postgres://postgres@127.0.0.1:5432/test';

/** Test schemas are named `wht_<pid>_<n>_<random>`: the postgres project's setup drops those whose process is gone. */
export const TEST_SCHEMA_PREFIX = 'wht_';
