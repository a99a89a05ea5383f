/** Declares `warehouse up` (options only; the action module loads lazily). */
import type { Register } from '../command.js';
import { engineOptions, QUEUE_HELP } from '../options.js';

export const registerUp: Register = (program, run, env) => {
  engineOptions(program.command('up'))
    .description(
      'a local cluster in one command: the supplier service, one `serve` and N `work` processes on one database (and queue), their logs prefixed; Ctrl-C stops them all',
    )
    .option('--workers <n>', 'how many `warehouse work` processes', '2')
    .option('--port <port>', "the API's TCP port (0: any free port; the URL is printed)", env.WAREHOUSE_PORT ?? '3000')
    .option('--queue <url>', QUEUE_HELP, env.REDIS_URL)
    .option(
      '--supplier-port <port>',
      "the supplier service's TCP port (not started when --supplier-url names a supplier)",
      env.WAREHOUSE_SUPPLIER_PORT ?? '4010',
    )
    .option('--supplier-state <file>', "the supplier service's SQLite file", env.WAREHOUSE_SUPPLIER_STATE ?? './supplier.db')
    .option('--supplier-script <file.yaml>', "SKU scripts for the supplier service, as in a scenario's supplier: block")
    .action(run(async () => (await import('./up.js')).up));
};
