/** Declares `warehouse explore` (options only; the action module loads lazily). */
import type { Register } from '../command.js';

export const registerExplore: Register = (program, run, env) => {
  program
    .command('explore [paths...]')
    .description(
      'run the orders of YAML scenarios concurrently on the real engine under every schedule of their steps (or a random search), check the invariants after each, and show the shortest story that breaks one (exit 1 if one breaks, 2 for bad input)',
    )
    .option('--crashes', 'also crash the process at every point between two steps (the work is finished by a new runner)')
    .option('--budget <n>', 'at most this many schedules; past it a random search replaces the exhaustive one', '2000')
    .option('--seed <n>', 'seed of the random search', '1')
    .option('--reserve-strategy <s>', 'pessimistic, optimistic or atomic; naive (teaching only: read, pause, write without a lock)')
    .option('--break <variant...>', 'teaching only: outbox, idempotency or supplier-key (a deliberately broken variant of the design)')
    .option('--replay <token>', 'play exactly the schedule of a replay token and tell its story')
    .option('--no-expect', "check the invariants only, not the scenario's expect block")
    .option('--diagram <file>', 'write the counterexample as a Mermaid sequence diagram to <file> (Markdown), rendered as SVG beside it (needs Chromium)')
    .option('--no-svg', 'with --diagram, write the Markdown only')
    .option('--dashboard', 'serve the page that replays the counterexample step by step (lanes side by side), until Ctrl-C')
    .option('--port <port>', "with --dashboard, the page's port (0: any free port; the URL is printed)", env.WAREHOUSE_PORT ?? '3000')
    .option('--host <host>', "with --dashboard, the page's address; without WAREHOUSE_API_TOKEN only loopback is allowed", env.WAREHOUSE_HOST ?? '127.0.0.1')
    .action(run(async () => (await import('./explore.js')).explore));
};
