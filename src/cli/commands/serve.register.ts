/** Declares `warehouse serve` (options only; the action module loads lazily). */
import { Option } from '../commander.js';
import { engineOptions, QUEUE_HELP } from '../options.js';
import type { Register } from '../command.js';

export const registerServe: Register = (program, run, env) => {
  engineOptions(program.command('serve'))
    .description(
      'HTTP API and job runner over the same database (WAREHOUSE_API_TOKEN, or a named token from `warehouse token create`, turns on bearer auth for writes)',
    )
    .option('--port <port>', 'TCP port (0: any free port; the URL is printed)', env.WAREHOUSE_PORT ?? '3000')
    .option('--host <host>', 'address to listen on; beyond loopback WAREHOUSE_API_TOKEN (32 characters or more) is required', env.WAREHOUSE_HOST ?? '127.0.0.1')
    .option(
      '--cors-origin <origin>',
      'let the pages of this one origin call the API from a browser (CORS), e.g. http://localhost:5173; off by default (env WAREHOUSE_CORS_ORIGIN)',
      env.WAREHOUSE_CORS_ORIGIN,
    )
    .option(
      '--allowed-host <names...>',
      'on loopback, also answer requests for these host names (the Host header; localhost, 127.0.0.1 and [::1] always); others get 421 (env WAREHOUSE_ALLOWED_HOSTS, comma-separated)',
      env.WAREHOUSE_ALLOWED_HOSTS?.split(','),
    )
    .option('--public-reads', 'beyond loopback, let reads (GET, the event stream, /metrics) through without a token with the read scope', false)
    .option('--max-streams <n>', 'event streams (GET /api/events) the server holds at once; past it 503 with Retry-After', '100')
    .option('--max-streams-per-client <n>', 'event streams one client address may hold at once', '10')
    .option('--rate-limit <n>', 'orders per minute per client address, 0 for none (env WAREHOUSE_RATE_LIMIT)', env.WAREHOUSE_RATE_LIMIT ?? '300')
    .addOption(
      new Option('--log-level <level>', 'log level of the log lines on stderr (env LOG_LEVEL)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default(env.LOG_LEVEL ?? 'info'),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines on stderr: one human-readable line each (pretty), JSON, or pretty on a terminal and JSON otherwise (auto; env LOG_FORMAT)',
      )
        .choices(['auto', 'pretty', 'json'])
        .default(env.LOG_FORMAT ?? 'auto'),
    )
    .addOption(
      new Option('--clock <clock>', "real time, or virtual time that only the dashboard's controls move (pause, step, +15 s, ×1/×10/×100): for a class")
        .choices(['real', 'virtual'])
        .default('real'),
    )
    .option('--shutdown-timeout <duration>', 'on SIGINT/SIGTERM, how long running jobs may take to finish', '10s')
    .option('--no-runner', 'serve the API only; a `warehouse work` process runs the jobs')
    .option('--queue <url>', QUEUE_HELP, env.REDIS_URL)
    .action(run(async () => (await import('./serve.js')).serve));
};
