/**
 * `warehouse backup <file>`: SQLite's online backup API copies the database page by page while it
 * stays in use (other processes keep reading and writing; each step holds the lock briefly), then
 * the copy is opened and checked. The way back from a corrupt file (DatabaseError `corrupt`).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../../domain/errors.js';
import type { BackupResult } from '../../ports/database.js';
import type { Connection } from './connection.js';
import { integrityProblems } from './open.js';

export async function backupSqlite(c: Connection, destination: string): Promise<BackupResult> {
  const target = resolve(destination);
  if (target === resolve(c.file)) throw new UsageError(`the backup must go to another file than the database itself (${destination})`);
  if (existsSync(target)) throw new UsageError(`${destination} already exists; choose a new file name (a backup never overwrites)`);
  if (!existsSync(dirname(target)))
    throw new UsageError(`the directory of ${destination} does not exist: create it first (mkdir -p ${JSON.stringify(dirname(target))})`);
  await c.raw.backup(target);
  const copy = new Database(target, { readonly: true });
  try {
    return { destination, bytes: statSync(target).size, problems: integrityProblems(copy, 'quick_check', 5) };
  } finally {
    copy.close();
  }
}
