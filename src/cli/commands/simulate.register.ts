/** Declares `warehouse simulate` (options only; the action module loads lazily). */
import type { Register } from '../command.js';

export const registerSimulate: Register = (program, run) => {
  program
    .command('simulate [paths...]')
    .description(
      'replay YAML scenarios (files, or directories of .yaml/.yml files) in virtual time and check their expectations (exit 1 if any fails, 2 if a file is malformed)',
    )
    .option('--strict', 'a scenario that checks nothing (no expect) fails instead of passing with a warning')
    .option('--junit <file>', 'also write a JUnit XML report to <file>')
    .option('--real-time', 'run on the wall clock instead of virtual time (waits really pass)')
    .option('--seed <n>', 'seed for the backoff jitter (default 42)')
    .option('--timeline', "print every order's events with their times from the start")
    .option('--diagram <file>', 'write a Mermaid sequence diagram per scenario to <file> (Markdown), and each rendered as SVG beside it (needs Chromium)')
    .option('--no-svg', 'with --diagram, write the Markdown only')
    .option('--reserve-strategy <s>', "pessimistic, optimistic or atomic (replaces the scenario's); naive (teaching only: read, pause, write without a lock)")
    .option(
      '--break <variant...>',
      'teaching only: outbox, idempotency or supplier-key (a deliberately broken variant of the design); the rules of `warehouse check` are then checked too',
    )
    .action(run(async () => (await import('./simulate.js')).simulate));
};
