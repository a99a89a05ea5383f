/**
 * The command registry. This file only declares commands and options (commander); each action
 * loads its module lazily, so `warehouse --help` pays for none of them. `main` returns the exit
 * code: 0 ok, 1 a check or operation failed, 2 bad usage or bad input.
 */
import { Command, CommanderError, Option } from './commander.js';
import { EXAMPLES, examplesText } from './examples.js';
import { engineOptions, QUEUE_HELP } from './options.js';
import type { Action, Loader, Run } from './command.js';
import type { GlobalOptions, Io } from './context.js';
import { registerDemo } from './commands/demo.register.js';
import { registerExplore } from './commands/explore.register.js';
import { registerServe } from './commands/serve.register.js';
import { registerSimulate } from './commands/simulate.register.js';
import { registerSupplier } from './commands/supplier.register.js';
import { registerUp } from './commands/up.register.js';
import { stopWithParent } from './supervised.js';

export type { Action, Loader, Run } from './command.js';

/**
 * The commands whose first step is opening the engine (ctx.open): its wiring, the largest part of
 * what they load (the adapters, drizzle, better-sqlite3), starts loading as they start.
 */
const OPENS_ENGINE = new Set(
  [
    ['order', 'create', 'show', 'cancel', 'fulfil', 'explain', 'list'],
    ['inventory', 'set', 'add', 'list', 'movements'],
    ['jobs', 'list', 'failed', 'resume', 'retry'],
    ['token', 'create', 'list', 'revoke'],
  ]
    .flatMap(([group, ...names]) => names.map((name) => `${group} ${name}`))
    .concat(['work', 'check', 'backup', 'stats']),
);

export function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const program = new Command('warehouse')
    .description('Event-driven stock reservation: orders, a durable job queue, a late-answering supplier, every step recorded.')
    .version('0.1.0', '-V, --version')
    .option(
      '--database <file|url>',
      'a SQLite file (created and migrated on first use) or a postgres:// URL (env WAREHOUSE_DB, DATABASE_URL; default ./warehouse.db)',
    )
    .option('--db <file|url>', 'the same as --database')
    .option('--json', 'machine-readable output on stdout', false)
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--supplier-url <url>', 'a real supplier; without it an in-process mock answers', io.env.WAREHOUSE_SUPPLIER_URL)
    .option('--supplier-token <token>', 'bearer token sent to the supplier (env WAREHOUSE_SUPPLIER_TOKEN)', io.env.WAREHOUSE_SUPPLIER_TOKEN)
    .addOption(new Option('--durability <mode>', 'synchronous=FULL survives power loss; NORMAL is faster').choices(['full', 'normal']).default('full'))
    .option(
      '--group-commit',
      'commit the writes of one event-loop turn together (same durability per write; several times the orders/s of `serve` under load)',
      io.env.WAREHOUSE_GROUP_COMMIT !== '0',
    )
    .option('--no-group-commit', 'one commit per write, the plain path (env WAREHOUSE_GROUP_COMMIT=0)')
    .option(
      '--trace-file <file>',
      'append OpenTelemetry spans to <file> as OTLP JSON lines, for `warehouse trace` (env WAREHOUSE_TRACE_FILE; OTEL_EXPORTER_OTLP_ENDPOINT sends them to a collector)',
      io.env.WAREHOUSE_TRACE_FILE,
    )
    .showHelpAfterError('(run with --help for usage)')
    // every subcommand's --help lists the global options too (subcommands inherit this setting)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const run: Run = (load: Loader) =>
    async function (this: Command, ...raw: unknown[]) {
      const cmd = raw.at(-1) as Command;
      const opts = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
      // a variadic argument arrives as an array: flatten it, so an action gets one string per argument
      const args = raw
        .slice(0, -2)
        .flat()
        .filter((a) => a !== undefined)
        .map(String);
      // loaded with the command, not before: zod (and chalk, when there is colour) are not needed
      // for --help. The three are loaded at once (each import waits on file reads; side by side,
      // one's reads overlap another's compiling), and so is the engine's wiring for a command that
      // opens it, which each does when it starts (docs/performance.md, start-up).
      const path = commandPath(cmd);
      if (OPENS_ENGINE.has(path)) void import('../wiring/warehouse.js').catch(() => undefined);
      const [{ createCtx }, action, { traced }] = await Promise.all([import('./context.js'), load(), import('./tracing.js')]);
      const ctx = await createCtx(io, opts);
      setCode(await traced(ctx, path, () => action(ctx, args, opts)));
    };
  const mod =
    <K extends string>(path: () => Promise<Record<K, Action>>, name: K): Loader =>
    async () =>
      (await path())[name];
  const inventory = () => import('./commands/inventory.js');
  const order = () => import('./commands/order.js');
  const jobs = () => import('./commands/jobs.js');

  const inv = program.command('inventory').description('stock on hand and its ledger');
  inv
    .command('set <sku> <qty>')
    .description('a stock count of the units not set aside for reserved orders: available becomes <qty> (an adjustment movement)')
    .action(run(mod(inventory, 'set')));
  inv
    .command('add <sku> <qty>')
    .description('a restock: on-hand grows by <qty> (a restock movement)')
    .action(run(mod(inventory, 'add')));
  inv
    .command('list')
    .description('every SKU with its stock: on hand, reserved and available')
    .action(run(mod(inventory, 'list')));
  inv
    .command('movements <sku>')
    .description("a SKU's ledger, oldest first, a page at a time")
    .option('--limit <n>', 'at most this many movements (1 to 10000)', '100')
    .option('--cursor <id>', "start after this movement id (printed as the next page's cursor)")
    .action(run(mod(inventory, 'movements')));

  const ord = program.command('order').description('create and inspect orders');
  engineOptions(ord.command('create'))
    .description('create an order and run its flow until it is reserved or final, printing each event')
    .option('--sku <sku>', 'the SKU (asked for on a terminal when missing)')
    .option('--qty <qty>', 'units, 1 to 1,000,000 (asked for on a terminal when missing)')
    .option(
      '--line <SKU:QTY>',
      'one line of a multi-line order, repeated (--line A:1 --line B:2): at most 50, each SKU once; all reserved or none (instead of --sku/--qty)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(new Option('--clock <clock>', 'real waits; virtual skips them').choices(['real', 'virtual']).default('real'))
    .option('--no-wait', 'only store the order and its job; a `warehouse work` runs it')
    .action(run(mod(order, 'create')));
  ord
    .command('show <id>')
    .description('an order with its timeline')
    .addOption(new Option('--format <format>', 'text, or md: a Markdown table for slides and print').choices(['text', 'md']).default('text'))
    .action(run(mod(order, 'show')));
  ord
    .command('cancel <id>')
    .description('cancel an order: a reservation is released at once; one the supplier holds is cancelled there first (exit 1 for a final order)')
    .action(run(mod(order, 'cancel')));
  ord
    .command('fulfil <id>')
    .description('fulfil a reserved order: its units leave for good (exit 1 unless it is reserved)')
    .action(run(mod(order, 'fulfil')));
  engineOptions(ord.command('explain <id>'))
    .description('why the order is where it is: its states, the story in one line, each step in plain words (pass the settings it ran under)')
    .action(run(mod(order, 'explain')));
  ord
    .command('list')
    .description('orders, oldest first')
    .option('--status <status>', 'only this status: pending, awaiting_restock, reserved, cancelling, failed, cancelled, expired, fulfilled')
    .option('--limit <n>', 'at most this many', '100')
    .action(run(mod(order, 'list')));

  engineOptions(program.command('work'))
    .description('run queued jobs from the database (until interrupted, or until idle)')
    .option('--until-idle', 'stop when no job is queued')
    .option('--shutdown-timeout <duration>', 'on SIGINT/SIGTERM, how long running jobs may take to finish (exit 1 past it)', '10s')
    .addOption(new Option('--clock <clock>', 'real waits; virtual skips them').choices(['real', 'virtual']).default('real'))
    .option('--queue <url>', QUEUE_HELP, io.env.REDIS_URL)
    .action(run(async () => (await import('./commands/work.js')).work));

  program
    .command('check')
    .description("verify the database's invariants (no oversell, ledger = on-hand, one job per open order, …)")
    .action(run(async () => (await import('./commands/check.js')).check));

  program
    .command('backup <file>')
    .description('a consistent copy of the database into a new file, taken while it is in use (SQLite online backup), then checked')
    .action(run(async () => (await import('./commands/backup.js')).backup));

  program
    .command('trace <orderId>')
    .description("draw an order's trace (its request or command, jobs, supplier calls and transactions) from a --trace-file")
    .option('--no-events', "spans only, without the order's state changes under them")
    .action(run(async () => (await import('./commands/trace.js')).trace));

  program
    .command('stats')
    .description(
      'the reservation figures from the database: success rate, time awaiting restock, supplier answers and delays, job retries, dead letters, the queue',
    )
    .action(run(async () => (await import('./commands/stats.js')).stats));

  registerServe(program, run, io.env);
  registerSimulate(program, run, io.env);
  registerExplore(program, run, io.env);
  registerSupplier(program, run, io.env);
  registerDemo(program, run, io.env);
  registerUp(program, run, io.env);

  const token = () => import('./commands/token.js');
  const tok = program.command('token').description('named API tokens with scopes (read, orders:write, stock:write, ops:write); only their hashes are stored');
  tok
    .command('create')
    .description('make a token and print it once (the last line of stdout); only its hash is stored')
    .requiredOption('--name <name>', 'what `token list` and `token revoke` call it')
    .option('--scope <scopes...>', 'read, orders:write, stock:write, ops:write (comma-separated, or the flag again)')
    .action(run(mod(token, 'create')));
  tok
    .command('list')
    .description('names, scopes and dates (never a token)')
    .action(run(mod(token, 'list')));
  tok
    .command('revoke <name>')
    .description('refuse the token from now on (running servers within a second)')
    .action(run(mod(token, 'revoke')));

  const jb = program.command('jobs').description('the job queue and its dead-letter store');
  jb.command('list')
    .description('queued and running jobs')
    .action(run(mod(jobs, 'list')));
  jb.command('failed')
    .description('dead-lettered jobs')
    .action(run(mod(jobs, 'failed')));
  jb.command('resume [id]')
    .description('put a parked job back on the queue (jobs park for a bug, or after long database trouble)')
    .option('--all', 'every parked job')
    .action(run(mod(jobs, 'resume')));
  jb.command('retry [id]')
    .description('put a dead-lettered job back on the queue')
    .option('--all', 'every dead-lettered job not yet retried')
    .action(run(mod(jobs, 'retry')));

  for (const c of [program, ...program.commands, ...program.commands.flatMap((sub) => sub.commands)]) {
    c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    const examples = EXAMPLES[commandPath(c)];
    if (examples) c.addHelpText('after', examplesText(examples));
  }
  return program;
}

/** `order create` for that command, '' for the program itself. */
export function commandPath(c: Command): string {
  const names: string[] = [];
  for (let at: Command | null = c; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

export async function main(argv: string[], io: Io): Promise<number> {
  stopWithParent(io.env, io.stderr);
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help', 'commander.executeSubCommandAsync'].includes(error.code)) return 0;
      return 2; // commander already printed the usage error
    }
    // the domain's errors only when something failed: `--help` never loads them
    const { WarehouseError } = await import('../domain/errors.js');
    if (error instanceof WarehouseError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof Error && error.name === 'ExitPromptError') {
      io.stderr.write('cancelled\n');
      return 2;
    }
    io.stderr.write(`internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (io.env.WAREHOUSE_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    else io.stderr.write('this is a bug in warehouse; run again with WAREHOUSE_DEBUG=1 for details\n');
    return 1;
  }
}
