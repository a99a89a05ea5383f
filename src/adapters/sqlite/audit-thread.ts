/**
 * `warehouse check`'s rules (and SQLite's integrity_check) on a worker thread, over a read-only
 * connection of its own: on a 200,000-order file they take over a second of synchronous SQLite,
 * which on the server's thread would hold every request (GET /api/check, the dashboard's badge)
 * that long. The worker sees what is committed (WAL); the main thread only turns rows into
 * messages. The worker's code is a few lines of plain JavaScript (eval), so it runs the same from
 * the TypeScript sources (tests) and from dist/.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Violation } from '../../ports/store.js';
import { RULE_SQL, violationsOfRows } from './audit.js';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
try {
  db.pragma('busy_timeout = 5000');
  const messages = db.pragma('integrity_check(5)').map((r) => Object.values(r)[0]);
  const damage = messages.length === 1 && messages[0] === 'ok' ? [] : messages;
  const rows = damage.length ? null : db.transaction(() => workerData.sql.map((s) => db.prepare(s).all())).deferred();
  parentPort.postMessage({ damage, rows });
} finally {
  db.close();
}
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** The audit of `file` off this thread: the file's damage (integrity_check), or the rules' violations. */
export function auditOffThread(file: string): Promise<{ damage: string[] } | { violations: Violation[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, sql: RULE_SQL } });
    worker.once('message', (m: { damage: string[]; rows: Array<Array<Record<string, unknown>>> | null }) => {
      resolve(m.rows === null ? { damage: m.damage } : { violations: violationsOfRows(m.rows) });
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the audit thread exited with code ${code}`));
    });
  });
}
