/**
 * A PostgreSQL server of the matrix's own: `initdb` into a temp directory, `pg_ctl start` on a
 * port of its own, so that a cell may restart it or kill its backends without touching the
 * machine's shared server. null (with why) when the binaries are not there.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../redis/support.js';

export interface PrivatePg {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** pg_ctl restart (fast shutdown): every session is cut, the server comes back on the same port */
  stop(): void;
  start(): void;
  /** pg_terminate_backend of every other session */
  terminateBackends(): Promise<number>;
  /** an open session of the test's own on the server */
  session(): Promise<pg.Client>;
  release(): void;
}

/** the newest /usr/lib/postgresql/<major>/bin that has initdb, or null */
function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0]!, 'bin') : null;
}

/** initdb refuses root: as root, the server runs as the `postgres` user */
function asOwner(bin: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  if (root) execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' });
  else execFileSync(bin, args, { stdio: 'pipe' });
}

export async function privatePg(): Promise<PrivatePg | string> {
  const bin = binDir();
  if (!bin) return 'no PostgreSQL binaries under /usr/lib/postgresql/*/bin';
  const dir = mkdtempSync(join(tmpdir(), 'warehouse-matrix-pg-'));
  if (process.getuid?.() === 0) {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(dir, uid, gid);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      return 'running as root and there is no `postgres` user to run initdb as';
    }
  }
  const port = await freePort();
  const data = join(dir, 'data');
  const pgCtl = join(bin, 'pg_ctl');
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  try {
    asOwner(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return `initdb failed: ${String((error as { stderr?: Buffer }).stderr ?? error).slice(0, 200)}`;
  }
  const start = () => asOwner(pgCtl, ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', 'start']);
  const stop = () => asOwner(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const release = () => {
    try {
      asOwner(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', release);
  const session = async () => {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  return {
    url,
    port,
    stop,
    start,
    session,
    async terminateBackends() {
      const c = await session();
      try {
        const r = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`);
        return r.rowCount ?? 0;
      } finally {
        await c.end();
      }
    },
    release() {
      process.off('exit', release);
      release();
    },
  };
}
