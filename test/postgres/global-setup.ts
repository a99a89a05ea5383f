/** The `postgres` project's first step: a server that does not answer fails the run at once, with one line (under CI=true). */
import { PG_TEST_URL, pgUnavailable } from './support.js';

export default async function setup(): Promise<void> {
  const why = await pgUnavailable();
  if (why) throw new Error(`PostgreSQL at ${PG_TEST_URL} does not answer (${why}); the postgres suites need it (CI=true)`);
}
