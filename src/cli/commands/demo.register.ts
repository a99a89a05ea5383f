/** Declares `warehouse demo` (options only; the action module loads lazily). */
import type { Register } from '../command.js';

export const registerDemo: Register = (program, run, env) => {
  program
    .command('demo [scenario]')
    .description('a narrated, step-by-step replay for a class, on a fresh temporary database (default: a built-in story that visits every branch)')
    .option('--auto', 'no pauses for Enter: one moment every --pace (also what happens off a terminal)')
    .option('--pace <duration>', 'the wait between moments without a terminal or with --auto', '2s')
    .option('--dashboard', "serve the live dashboard on the demo's database meanwhile (and after, until Ctrl-C)")
    .option('--port <port>', "the dashboard's port (0: any free port; the URL is printed)", env.WAREHOUSE_PORT ?? '3000')
    .option('--host <host>', "the dashboard's address; without WAREHOUSE_API_TOKEN only loopback is allowed", env.WAREHOUSE_HOST ?? '127.0.0.1')
    .option('--seed <n>', 'seed for the backoff jitter (default 42)')
    .option('--keep', 'keep the temporary database (its path is printed)')
    .action(run(async () => (await import('./demo.js')).demo));
};
