/**
 * `warehouse demo [scenario.yaml] [--auto] [--dashboard]`: a narrated replay for a class, on a
 * fresh temporary database (never --db), of a scenario (default: scenarios/tour.yaml, one
 * order per branch of the flow).
 *
 * The story moves one moment at a time: the next instant a step is due or a job falls due (or a
 * timer fires), on a paced virtual clock (adapters/clock/paced.ts) that the demo alone drives.
 * After each moment it narrates what happened to each order (src/app/explain.ts sentences, which
 * name the outbox, the row lock, the idempotency key, the retry and delayed budgets) and waits:
 * for Enter on a terminal, or `--pace` with `--auto` or off a terminal. With `--dashboard` the
 * live dashboard serves the same database meanwhile (its clock controls are locked while the demo
 * drives); it stays up after the story until Ctrl-C. Exit 0, or 1 if an invariant broke.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { explainOrder } from '../../app/explain.js';
import { DURATION_FORM, parseDuration } from '../../domain/duration.js';
import { UsageError } from '../../domain/errors.js';
import type { Step } from '../../sim/model.js';
import { DEFAULT_SEED } from '../../sim/runner.js';
import type { Ctx } from '../context.js';
import { listenProblem } from '../ports.js';
import { seedFromFlags } from '../flags.js';
import { untilAborted, watchForStop } from '../stop.js';
import { words, wrapParts } from '../../text/timeline.js';
import { branchesVisited, momentHeader, orderLines, stepLines, summaryLines, type Ending } from './demo-narration.js';

/** the built-in story (from src/ or dist/ alike) */
export const TOUR = fileURLToPath(new URL('../../../scenarios/tour.yaml', import.meta.url));
/** a story stops after this many moments, whatever is left */
const MAX_MOMENTS = 10_000;

export async function demo(ctx: Ctx, [file]: string[], opts: Record<string, unknown>): Promise<number> {
  const paceMs = parseDuration(String(opts.pace ?? '2s'));
  if (paceMs === null) throw new UsageError(`--pace must be ${DURATION_FORM} (got ${JSON.stringify(opts.pace)})`);
  const port = Number(opts.port);
  if (!/^\d+$/.test(String(opts.port)) || port > 65535) throw new UsageError(`--port must be from 0 to 65535 (got ${JSON.stringify(opts.port)})`);
  const seed = seedFromFlags(opts) ?? DEFAULT_SEED;
  const given = ctx.opts.database ?? ctx.opts.db;
  if (given !== undefined) {
    throw new UsageError(
      `demo runs on a fresh temporary database of its own, never on --db (its story would add orders and stock counts to ${given}): ` +
        "drop --db; --keep keeps the demo's database and prints its path, and `warehouse --db <file> serve` shows your own database on the dashboard",
    );
  }
  const { c } = ctx;

  const { loadScenarioFile } = await import('../../sim/loader.js');
  const { formatProblem } = await import('../../sim/model.js');
  const loaded = await loadScenarioFile(file ?? TOUR);
  if (!loaded.ok) {
    for (const p of loaded.problems) ctx.io.stderr.write(`${formatProblem(p)}\n`);
    return 2;
  }
  const scenario = loaded.scenario;

  const dir = mkdtempSync(join(tmpdir(), 'warehouse-demo-'));
  const removeDir = () => {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C, SIGTERM or a reader gone (EPIPE) end the story; the finally below removes the database
  const stopWatch = watchForStop(ctx.io, removeDir);
  const interrupted = stopWatch.signal;
  const { createClock, createWarehouse } = await import('../../wiring/warehouse.js');
  const clock = createClock('paced', Math.floor(Date.now() / 1000) * 1000);
  const { controls } = clock;
  // the page's Step (POST /api/clock {action: step}) moves the story on like Enter in the terminal,
  // and is answered once that moment has been played and narrated
  let pageWaiting: (() => void) | null = null;
  let momentPlayed: (() => void) | null = null;
  const playedMoment = () => {
    momentPlayed?.();
    momentPlayed = null;
  };
  controls.lock('the demo', () => {
    const go = pageWaiting;
    if (!go) return Promise.resolve(); // between moments, or the story has ended
    return new Promise<void>((resolve) => {
      momentPlayed = resolve;
      go();
    });
  });
  const stop = new AbortController();
  let running: Promise<void> | null = null;
  let server: { url: string; close(): Promise<void> } | null = null;
  let w: Awaited<ReturnType<typeof createWarehouse>> | null = null;
  const input = ctx.io.stdin.isTTY && !opts.auto ? createInterface({ input: ctx.io.stdin }) : null;
  try {
    w = await createWarehouse({
      database: { kind: 'sqlite', file: join(dir, 'demo.db') },
      clock,
      supplierScript: scenario.supplier,
      settings: scenario.settings,
      seed,
    });
    if (opts.dashboard) {
      const { startServer } = await import('../../http/server.js');
      // the server runs the job runner; its logs would drown the narration
      const host = String(opts.host);
      server = await startServer({ warehouse: w, port, host, token: ctx.io.env.WAREHOUSE_API_TOKEN || undefined, logLevel: 'fatal' }).catch(
        (error: unknown) => {
          throw listenProblem(error, port, host, '--port');
        },
      );
    } else {
      running = w.runner.runForever(stop.signal);
    }

    // ---------------------------------------------------------------- the story
    ctx.say(c.bold(`warehouse demo: ${scenario.name}`));
    if (scenario.description) for (const line of wrapParts('', words(scenario.description), 0)) ctx.say(line);
    ctx.say(c.dim(`A fresh database: ${join(dir, 'demo.db')} (${opts.keep ? 'kept' : 'removed'} at the end).`));
    ctx.say(c.dim('Virtual time: nothing really waits; each pause below is one moment of the story.'));
    if (server) ctx.say(`${c.bold('Dashboard:')} ${server.url}/ (open it for the class; its clock follows the demo)`);
    const stepHint = server ? ', or Step on the page' : '';
    ctx.say(c.dim(input ? `Press Enter for each next moment (q and Enter to stop)${stepHint}.` : `One moment every ${paceMs / 1000} s${stepHint}.`));
    ctx.say();

    /** waits for the next moment: Enter (or q) in the terminal, the pace, or the page's Step */
    const pause = async (): Promise<boolean> => {
      playedMoment();
      let byPage = false;
      const fromPage = server ? new Promise<boolean>((resolve) => (pageWaiting = () => resolve((byPage = true)))) : null;
      let done = () => {};
      let fromHere: Promise<boolean>;
      if (input) {
        ctx.io.stdout.write(c.dim('  ⏎ '));
        fromHere = new Promise<boolean>((resolve) => {
          const onLine = (line: string) => resolve(line.trim().toLowerCase() !== 'q');
          const onClose = () => resolve(true);
          input.once('line', onLine);
          input.once('close', onClose);
          done = () => {
            input.off('line', onLine);
            input.off('close', onClose);
          };
        });
      } else {
        fromHere = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), paceMs);
          done = () => clearTimeout(timer);
        });
      }
      const byStop = untilAborted(interrupted).then(() => false);
      const go = await Promise.race([fromHere, byStop, ...(fromPage ? [fromPage] : [])]);
      done();
      pageWaiting = null;
      if (byPage && input) ctx.io.stdout.write('(Step on the page)\n');
      return go;
    };

    const start = clock.now();
    const opening = Object.entries(scenario.inventory);
    for (const [sku, n] of opening) await w.inventory.set(sku, n);
    if (opening.length)
      for (const line of wrapParts(
        '',
        words(`Opening stock: ${opening.map(([sku, n]) => `${sku} ${n}`).join(', ')} (a stock count each: an adjustment movement).`),
        0,
      ))
        ctx.say(line);

    const groups: Step[][] = [];
    for (const s of scenario.steps) {
      const last = groups.at(-1);
      if (last && last[0]!.at === s.at) last.push(s);
      else groups.push([s]);
    }
    const labels = new Map<number, string>();
    const touched = new Set<number>();
    w.bus.on('order:event', (e) => touched.add(e.orderId));
    const told = new Map<number, number>();
    let next = 0;
    let stopped = false;

    for (let moment = 0; moment < MAX_MOMENTS; moment++) {
      await controls.settled();
      if (interrupted.aborted) {
        stopped = true;
        break;
      }
      const stepAt = next < groups.length ? start + groups[next]![0]!.at : null;
      const due = controls.state().next;
      const candidates = [stepAt, due].filter((t): t is number => t !== null);
      if (candidates.length === 0) break;
      if (moment > 0 && !(await pause())) {
        stopped = true;
        break;
      }
      const t = Math.min(...candidates);
      if (t > clock.now()) await controls.advanceTo(t);
      ctx.say(momentHeader(t - start, c));
      if (stepAt === t) {
        for (const s of groups[next++]!) {
          for (const line of stepLines(s, c)) ctx.say(line);
          if (s.kind === 'order') {
            for (let k = 1; k <= (s.count ?? 1); k++) {
              const o = await w.orders.create({ sku: s.sku, qty: s.qty });
              labels.set(o.id, s.count === null ? s.label : `${s.label}.${k}`);
            }
          } else if (s.kind === 'restock') await w.inventory.add(s.sku, s.qty);
          else if (s.kind === 'set') await w.inventory.set(s.sku, s.onHand);
          else {
            const id = [...labels].find(([, l]) => l === s.label)?.[0];
            if (id !== undefined) await (s.kind === 'cancel' ? w.orders.cancel(id) : w.orders.fulfil(id)).catch(() => undefined);
          }
        }
        await controls.settled();
      }
      for (const id of [...touched].sort((a, b) => a - b)) {
        const o = await w.orders.get(id);
        const x = explainOrder(o, o.events, w.settings);
        for (const line of orderLines(o, labels.get(id), x, told.get(id) ?? 0, c)) ctx.say(line);
        told.set(id, x.events.length);
      }
      touched.clear();
    }

    playedMoment();

    // ---------------------------------------------------------------- the ending
    const endings: Ending[] = [];
    const all = [];
    for (const id of [...told.keys()].sort((a, b) => a - b)) {
      const o = await w.orders.get(id);
      all.push(o);
      endings.push({ label: labels.get(id) ?? `#${id}`, order: o, x: explainOrder(o, o.events, w.settings) });
    }
    const branches = branchesVisited(all);
    const violations = await w.jobs.audit();
    ctx.say();
    for (const line of summaryLines(endings, branches, c, stopped)) ctx.say(line);
    const check =
      violations.length === 0
        ? ['warehouse check:', c.green('every invariant holds'), ...words('(no oversell, ledger = on hand, one live job per open order).')]
        : words(`warehouse check: ${violations.length} broken: ${violations.map((v) => v.message).join('; ')}`).map((w) => c.red(w));
    for (const line of wrapParts(check[0]!, check.slice(1), 2)) ctx.say(line);
    if (ctx.opts.json) {
      ctx.json({
        scenario: scenario.name,
        orders: endings.map((e) => ({
          label: e.label,
          id: e.order.id,
          sku: e.order.sku,
          qty: e.order.qty,
          status: e.order.status,
          failureReason: e.order.failureReason,
          path: e.x.path,
          summary: e.x.summary,
        })),
        branches,
        check: { ok: violations.length === 0, violations: violations.map((v) => v.message) },
      });
    }
    if (server && !interrupted.aborted) {
      controls.lock(null);
      ctx.say();
      ctx.say(`The dashboard stays up at ${server.url}/ with the clock in your hands now; Ctrl-C to stop.`);
      await untilAborted(interrupted);
    }
    return violations.length === 0 ? 0 : 1;
  } finally {
    input?.close();
    stop.abort();
    await running;
    await server?.close();
    await w?.close();
    removeDir();
    stopWatch.dispose();
  }
}
