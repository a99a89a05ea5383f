/** Declares `warehouse supplier serve|openapi` (options only; the action module loads lazily). */
import type { Register } from '../command.js';

export const registerSupplier: Register = (program, run, env) => {
  const load = (name: 'serve' | 'openapi') => async () => (await import('./supplier.js'))[name];
  const supplier = program.command('supplier').description('the mock supplier as a service of its own, and its contract');
  supplier
    .command('serve')
    .description('run the scripted mock supplier over HTTP; point serve/work/order create at it with --supplier-url')
    .option('--port <port>', 'TCP port (0: any free port; the URL is printed)', env.WAREHOUSE_SUPPLIER_PORT ?? '4010')
    .option('--host <host>', 'address to listen on; beyond loopback WAREHOUSE_SUPPLIER_TOKEN (32 characters or more, varied) is required', '127.0.0.1')
    .option(
      '--state <file>',
      'SQLite file for its scripts and conversations (created on first use), or a postgres:// URL (tables mock_* in its ?schema=)',
      env.WAREHOUSE_SUPPLIER_STATE ?? './supplier.db',
    )
    .option(
      '--allowed-host <names...>',
      'on loopback, also answer requests for these host names (localhost, 127.0.0.1 and [::1] always); others get 421 (env WAREHOUSE_ALLOWED_HOSTS)',
      env.WAREHOUSE_ALLOWED_HOSTS?.split(','),
    )
    .option('--script <file.yaml>', "SKU scripts to store at start, as in a scenario's supplier: block")
    .action(run(load('serve')));
  supplier
    .command('openapi')
    .description('print the supplier contract (OpenAPI 3.1), as kept in contracts/supplier.openapi.json')
    .action(run(load('openapi')));
};
