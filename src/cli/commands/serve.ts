/**
 * `warehouse serve`: the HTTP API, the live dashboard and the job runner in one process. Prints the
 * dashboard's and the API's URL on stdout (with --json one JSON object) and logs JSON lines on
 * stderr. `--clock virtual` runs on a paced virtual clock that only the dashboard moves. SIGINT/SIGTERM
 * stop it gracefully: stop accepting, let running jobs finish (bounded), close the database, exit 0.
 */
import { parseDuration, DURATION_FORM } from '../../domain/duration.js';
import { UsageError } from '../../domain/errors.js';
import { numberFromText } from '../../domain/validation.js';
import type { LogLevel } from '../../http/logging.js';
import type { Ctx } from '../context.js';
import { listenProblem } from '../ports.js';
import { parseAllowedHosts } from '../../serving/bind.js';
import { parseQueueFlag, scriptFromFlags, seedFromFlags, settingsFromFlags } from '../flags.js';

export async function serve(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const port = numberFromText('--port', String(opts.port), 'a port from 0 to 65535');
  if (port > 65535) throw new UsageError(`--port must be from 0 to 65535 (got ${port})`);
  const rateLimit = numberFromText('--rate-limit', String(opts.rateLimit), 'orders per minute, a whole number (0: no limit)');
  if (rateLimit < 0) throw new UsageError('--rate-limit must be 0 or more');
  const maxStreams = numberFromText('--max-streams', String(opts.maxStreams), 'a whole number of streams, 1 or more');
  const maxPerClient = numberFromText('--max-streams-per-client', String(opts.maxStreamsPerClient), 'a whole number of streams, 1 or more');
  if (maxStreams < 1 || maxPerClient < 1) throw new UsageError('--max-streams and --max-streams-per-client must be 1 or more');
  const shutdownTimeoutMs = parseDuration(String(opts.shutdownTimeout));
  if (shutdownTimeoutMs === null) throw new UsageError(`--shutdown-timeout must be ${DURATION_FORM}`);

  const queue = parseQueueFlag(opts.queue);
  if (opts.clock === 'virtual' && opts.runner === false) {
    // the paced clock's steps wait for the runner to settle what came due: without one, nothing would
    throw new UsageError(
      '--clock virtual needs the runner: its clock controls step to the next job and wait for it to run; drop --no-runner (or use --clock real)',
    );
  }

  const { startServer } = await import('../../http/server.js');
  // docs/design.md §13: human-readable lines on a terminal, JSON lines otherwise (a file, a pipe, a collector)
  const pretty = opts.logFormat === 'pretty' || (opts.logFormat !== 'json' && Boolean(ctx.io.stderr.isTTY));
  const logDestination = pretty ? await prettyLog(ctx.opts.color && !ctx.io.env.NO_COLOR && Boolean(ctx.io.stderr.isTTY)) : undefined;
  // --clock virtual: a paced virtual clock, moved only by the dashboard's controls (POST /api/clock),
  // never by the runner itself: a class watches each step happen
  const clock = opts.clock === 'virtual' ? ('paced' as const) : ('real' as const);
  const host = String(opts.host);
  const server = await startServer({
    clock,
    database: ctx.database,
    queue,
    supplierUrl: ctx.opts.supplierUrl,
    supplierToken: ctx.opts.supplierToken || undefined,
    supplierScript: scriptFromFlags(opts),
    settings: settingsFromFlags(opts),
    seed: seedFromFlags(opts),
    port,
    host,
    token: ctx.io.env.WAREHOUSE_API_TOKEN || undefined,
    allowedHosts: parseAllowedHosts(opts.allowedHost === undefined ? [] : [opts.allowedHost].flat().map(String)),
    publicReads: opts.publicReads === true,
    streamLimits: { maxStreams, maxPerClient },
    rateLimitPerMinute: rateLimit,
    corsOrigin: opts.corsOrigin === undefined ? undefined : String(opts.corsOrigin),
    logLevel: opts.logLevel as LogLevel,
    logDestination,
    runner: opts.runner !== false,
    shutdownTimeoutMs,
    tracing: ctx.tracing,
    // a server that starts while another process holds the write lock waits for it, saying so once
    onLockWait: (message) => ctx.io.stderr.write(pretty ? `${message}\n` : `${JSON.stringify({ level: 40, msg: message })}\n`),
  }).catch((error: unknown) => {
    throw listenProblem(error, port, host, '--port');
  });
  const dashboard = `${server.url}/`;
  const jobsFrom = queue ? `, jobs from ${server.warehouse.queueLabel}` : '';
  if (ctx.opts.json)
    ctx.io.stdout.write(
      `${JSON.stringify({ url: server.url, dashboard, clock: opts.clock, database: ctx.databaseLabel, ...(queue ? { queue: server.warehouse.queueLabel } : {}) })}\n`,
    );
  else {
    const time = clock === 'real' ? 'real time' : "virtual time, moved by the page's clock controls";
    ctx.io.stdout.write(`dashboard: ${dashboard} (${time})\nlistening on ${server.url} (database ${ctx.databaseLabel}${jobsFrom}); Ctrl-C to stop\n`);
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  server.log.info({ signal }, 'shutting down: no new requests; running jobs may finish');
  await server.close();
  return 0;
}

/**
 * One line per log record on stderr (pino-pretty): time, level, then the record in words — a
 * request as `POST /api/orders 201 27 ms`, a transition as `order 1: pending → awaiting_restock`
 * — and its other fields as key=value.
 */
async function prettyLog(colorize: boolean) {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    destination: 2,
    sync: true,
    colorize,
    hideObject: true,
    ignore: 'pid,hostname',
    translateTime: 'SYS:HH:MM:ss.l',
    messageFormat: describeLogRecord,
  });
}

const SHOWN_ELSEWHERE = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

/** A log record as one line of words. */
function describeLogRecord(record: Record<string, unknown>): string {
  const rest = (...used: string[]) =>
    Object.entries(record)
      .filter(([k, v]) => !SHOWN_ELSEWHERE.has(k) && !used.includes(k) && v !== undefined)
      .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('');
  const r = record as Record<string, string | number | undefined>;
  if (record.msg === 'request') return `${r.method} ${r.url} ${r.status} ${r.ms} ms${rest('method', 'url', 'status', 'ms', 'route')}`;
  if (record.msg === 'order transition') return `order ${r.orderId}: ${r.from} → ${r.to}${rest('orderId', 'from', 'to', 'at')}`;
  return `${String(record.msg ?? '')}${rest()}`;
}
