/**
 * `warehouse up`: the processes of docs/design.md §12 on one machine — `warehouse supplier serve`, one
 * `warehouse serve` and N `warehouse work`, sharing the database URL, the queue URL and the
 * supplier URL (the only things processes on several machines share too: docs/scale-out.md).
 *
 * Each child's lines are printed with its name in front (`serve    | …`). Once all are ready, one
 * line says where the API and the supplier are. A child that dies after it was ready is reported
 * and started again a second later (kill -9 one to watch the others carry on); one that fails to
 * start stops the cluster (exit 1). SIGINT/SIGTERM: the engines are asked to stop (SIGTERM: they
 * finish their running jobs), then the supplier; a second Ctrl-C kills them all at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import { describeQueue } from '../../config.js';
import type { Ctx } from '../context.js';
import { checkPortFree } from '../ports.js';
import { parseQueueFlag, settingsFromFlags } from '../flags.js';

/** Engine options passed on to `serve` and every `work` as they were given. */
const ENGINE_FLAGS: Record<string, string> = {
  checkDelay: '--check-delay',
  maxDelayedRetries: '--max-delayed-retries',
  jobAttempts: '--job-attempts',
  backoffBase: '--backoff-base',
  backoffCap: '--backoff-cap',
  lease: '--lease',
  concurrency: '--concurrency',
  reserveStrategy: '--reserve-strategy',
  reservationTtl: '--reservation-ttl',
  seed: '--seed',
};

interface Member {
  name: string;
  args: string[];
  /** the line that says it is ready; its first group, if any, is its URL */
  ready: RegExp;
  child: ChildProcess | null;
  url?: string;
  up: boolean;
  restarts: number;
}

export async function up(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const workers = numberFromText('--workers', String(opts.workers), 'a whole number of work processes, 0 to 64');
  if (workers > 64) throw new UsageError(`--workers must be from 0 to 64 (got ${workers})`);
  const port = numberFromText('--port', String(opts.port), 'a port from 0 to 65535');
  const supplierPort = numberFromText('--supplier-port', String(opts.supplierPort), 'a port from 0 to 65535');
  if (port > 65535 || supplierPort > 65535) throw new UsageError('--port and --supplier-port must be from 0 to 65535');
  if (opts.supplierStatus !== undefined || opts.supplierReserve !== undefined) {
    throw new UsageError(
      '--supplier-status and --supplier-reserve script an in-process mock; `up` runs the supplier service: script it with --supplier-script file.yaml',
    );
  }
  const queue = parseQueueFlag(opts.queue);
  // the engine flags passed on to serve and work, checked here first: a bad one is exit 2 with nothing started
  settingsFromFlags(opts);
  // a port in use is said at once, with the flag of `up` that changes it, before anything starts
  if (!ctx.opts.supplierUrl) await checkPortFree(supplierPort, '127.0.0.1', '--supplier-port');
  await checkPortFree(port, ctx.io.env.WAREHOUSE_HOST ?? '127.0.0.1', '--port');

  // what every engine process shares: the database, the queue, the supplier (and how to reach them)
  const database = ctx.opts.database ?? ctx.opts.db;
  const global = [ctx.opts.groupCommit ? '--group-commit' : '--no-group-commit', '--durability', ctx.opts.durability];
  const engine = Object.entries(ENGINE_FLAGS).flatMap(([key, flag]) => (typeof opts[key] === 'string' ? [flag, opts[key] as string] : []));
  const queueUrl = typeof opts.queue === 'string' && opts.queue.trim() !== '' ? opts.queue : undefined;
  /**
   * Secrets reach the children through their environment, never their arguments: any local user
   * can read a process's arguments (`ps`), not its environment. The database and Redis URLs may
   * hold passwords; the supplier token is one.
   */
  const secrets: NodeJS.ProcessEnv = {
    WAREHOUSE_DB: database ?? ctx.io.env.WAREHOUSE_DB,
    REDIS_URL: queueUrl ?? ctx.io.env.REDIS_URL,
    WAREHOUSE_SUPPLIER_TOKEN: ctx.opts.supplierToken || ctx.io.env.WAREHOUSE_SUPPLIER_TOKEN,
  };
  const external = ctx.opts.supplierUrl;

  const members: Member[] = [];
  const member = (name: string, args: string[], ready: RegExp): Member => {
    const m: Member = { name, args, ready, child: null, up: false, restarts: 0 };
    members.push(m);
    return m;
  };
  const supplier = external
    ? null
    : member(
        'supplier',
        [
          'supplier',
          'serve',
          '--port',
          String(supplierPort),
          '--state',
          String(opts.supplierState),
          ...(typeof opts.supplierScript === 'string' ? ['--script', opts.supplierScript] : []),
        ],
        /supplier listening on (http:\/\/\S+) /,
      );
  const width = Math.max(8, `work ${workers}`.length);
  const out = ctx.opts.json ? ctx.io.stderr : ctx.io.stdout;
  const say = (name: string, line: string) => out.write(`${ctx.c.cyan(name.padEnd(width))} ${ctx.c.dim('|')} ${line}\n`);

  let stopping = false;
  let failed: string | null = null;
  /** 2 when a member refused its arguments (exit 2: bad input), else 1 */
  let failedCode = 1;
  let onFailure: () => void = () => {};
  const failure = new Promise<void>((resolve) => (onFailure = resolve));

  /** Starts a member; resolves with its URL (or '') once it printed its ready line. */
  function start(m: Member): Promise<string> {
    const child = spawn(process.execPath, [process.argv[1]!, ...m.args], {
      env: {
        ...ctx.io.env,
        ...secrets,
        // a member stops by itself when `up` is gone without stopping it (SIGKILL): src/cli/supervised.ts
        WAREHOUSE_STOP_WITH_PARENT: '1',
        NO_COLOR: ctx.c.level === 0 ? '1' : ctx.io.env.NO_COLOR,
        // serve's log lines, read by a person on a terminal: one line of words each (docs/design.md §13)
        LOG_FORMAT: ctx.io.env.LOG_FORMAT ?? (out.isTTY ? 'pretty' : 'json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // a group of its own: a Ctrl-C on the terminal reaches `up` only, which stops each child in order
      detached: true,
    });
    m.child = child;
    const tail: string[] = [];
    return new Promise((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        say(m.name, line);
        const match = m.up ? null : m.ready.exec(line);
        if (match) {
          m.up = true;
          m.url = match[1];
          resolve(match[1] ?? '');
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        say(m.name, line);
      });
      child.on('exit', (code, signal) => {
        m.child = null;
        if (stopping) return;
        if (!m.up) {
          if (!failed && code === 2) failedCode = 2;
          failed ??= `${m.name} exited (${code ?? signal}) before it was ready${tail.length ? `: ${tail.at(-1)}` : ''}`;
          onFailure();
          return;
        }
        m.up = false;
        m.restarts++;
        say(m.name, ctx.c.red(`exited (${code ?? signal}); starting it again in 1 s`));
        setTimeout(() => {
          if (!stopping) void start(m);
        }, 1_000).unref();
      });
    });
  }

  const started = async (m: Member) => Promise.race([start(m), failure.then(() => null)]);
  const supplierUrl = supplier ? await started(supplier) : external!;
  if (failed || supplierUrl === null) return stopAll(failedCode);
  const withSupplier = [...global, '--supplier-url', supplierUrl];
  const serve = member('serve', [...withSupplier, 'serve', '--port', String(port), ...engine], /listening on (http:\/\/\S+) /);
  const work = Array.from({ length: workers }, (_, i) => member(`work ${i + 1}`, [...withSupplier, 'work', ...engine], /Ctrl-C to stop/));
  const ready = await Promise.all([serve, ...work].map(started));
  if (failed || ready.includes(null)) return stopAll(failedCode);

  const summary = { api: serve.url!, supplier: supplierUrl, workers, database: ctx.databaseLabel, queue: describeQueue(queue) };
  if (ctx.opts.json) ctx.io.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    ctx.io.stdout.write(
      `${ctx.c.green('cluster up')}: API ${summary.api} · supplier ${summary.supplier} · ${workers} worker(s) · database ${summary.database} · jobs from ${summary.queue}; Ctrl-C stops them all\n`,
    );

  const signal = await Promise.race([
    new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    }),
    failure.then(() => 'failure'),
  ]);
  if (signal !== 'failure')
    ctx.io.stderr.write(`stopping: the engines finish their running jobs, then the supplier stops (Ctrl-C again to kill them all now)\n`);
  return stopAll(failed ? 1 : 0);

  /** SIGTERM to the engines, then the supplier; a second signal kills what is left. */
  async function stopAll(code: number): Promise<number> {
    stopping = true;
    if (failed) ctx.io.stderr.write(`error: ${failed}; stopping the others\n`);
    const killNow = () => {
      for (const m of members) m.child?.kill('SIGKILL');
    };
    process.once('SIGINT', killNow);
    process.once('SIGTERM', killNow);
    const stop = async (ms: Member[]) =>
      Promise.all(
        ms.map(
          (m) =>
            new Promise<number | null>((resolve) => {
              const child = m.child;
              if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(child?.exitCode ?? 0);
              child.once('exit', (c) => resolve(c));
              child.kill('SIGTERM');
            }),
        ),
      );
    const engines = await stop(members.filter((m) => m !== supplier));
    const supplierCode = supplier ? await stop([supplier]) : [];
    const bad = [...engines, ...supplierCode].some((c) => c !== 0 && c !== null);
    return code !== 0 ? code : bad ? 1 : 0;
  }
}
