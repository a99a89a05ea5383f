/**
 * The `postgres` project's first step: a server that does not answer fails the run at once, with
 * one line (the project only exists without a server under CI=true); then the test schemas left
 * behind by runs that were killed before their cleanup are dropped.
 */
import { dropOrphanSchemas, PG_TEST_URL, pgUnavailable } from './support.js';

export default async function setup(): Promise<void> {
  const why = await pgUnavailable();
  if (why) throw new Error(`PostgreSQL at ${PG_TEST_URL} does not answer (${why}); the postgres suites need it (CI=true)`);
  await dropOrphanSchemas();
}
