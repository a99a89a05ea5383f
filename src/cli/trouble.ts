/**
 * While a command runs jobs: one line on stderr each time the runner meets the database's trouble
 * (or recovers from it), and for each job deferred or parked, so a wait is never silent and never
 * mistaken for the supplier's doing.
 */
import type { Warehouse } from '../wiring/warehouse.js';
import type { Ctx } from './context.js';

export function sayTrouble(ctx: Ctx, w: Warehouse): void {
  const err = (line: string) => ctx.io.stderr.write(`${line}\n`);
  let degraded = false;
  w.bus.on('runner:state', (s) => {
    if (s.state === 'degraded' && !degraded) {
      degraded = true;
      err(ctx.c.yellow(`database trouble: ${s.reason ?? 'unknown'}; retrying (orders wait, none fails for it)`));
    } else if (s.state !== 'degraded' && degraded) {
      degraded = false;
      err(ctx.c.green('the database answers again; carrying on'));
    }
  });
  w.bus.on('job:parked', (p) =>
    err(
      ctx.c.red(
        `job ${p.job.id} (${p.job.type} for order #${p.job.orderId}) parked: ${p.reason}; see \`warehouse jobs list\`, resume with \`warehouse jobs resume ${p.job.id}\``,
      ),
    ),
  );
}
