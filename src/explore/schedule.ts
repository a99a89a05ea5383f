/**
 * One schedule of a scenario on the real engine: the scenario's steps applied as `simulate` does
 * (src/sim/runner.ts), its jobs run by a runner whose every write and supplier call waits at the
 * gate; at each moment when several steps are ready, the schedule's next choice picks the one to
 * release. With a crash point, the process dies after that many steps and a new one (a new runner
 * on the same database, after the leases expire) finishes the work. Then the checks (checks.ts).
 */
import { createBus } from '../app/bus.js';
import { createHandlers } from '../app/handlers.js';
import { createInventoryService } from '../app/inventory.js';
import { createOrderService } from '../app/orders.js';
import { createRandom } from '../app/random.js';
import { createRunner, type Runner } from '../app/runner.js';
import { DEFAULT_SETTINGS, type Settings } from '../domain/settings.js';
import { instants, SIM_START } from '../sim/runner.js';
import type { Scenario, Step } from '../sim/model.js';
import { openExploreDatabase, startExploreWorld, type ExploreWorld, type NaivePause, type ScratchBackend } from '../wiring/explore.js';
import { runChecks } from './checks.js';
import { Gate, Recorder } from './gate.js';
import { instrument, type Knowledge } from './instrument.js';
import type { RunResult, Schedule, Variant } from './model.js';

interface Process {
  gate: Gate;
  runner: Runner;
  orders: ReturnType<typeof createOrderService>;
  inventory: ReturnType<typeof createInventoryService>;
}

/** turns of the event loop with nothing pending before a run counts as stuck */
const STUCK_TURNS = 5_000;

/** The identity of an explored run's throwaway database (its supplier keys read `order-<id>.e000000000000000`). */
const EXPLORE_DATABASE_ID = 'e0000000000000000000000000000000';
export function settingsFor(scenario: Scenario, variant: Variant): Settings {
  // naive is the SQLite adapter's teaching path (adapters/sqlite/naive.ts), over the default SQL
  return { ...DEFAULT_SETTINGS, ...scenario.settings, reserveStrategy: variant.strategy === 'naive' ? 'pessimistic' : variant.strategy };
}

/** One scenario and variant, its database opened once; `run` plays one schedule on it. */
export interface Session {
  run(schedule: Schedule, opts: { expect: boolean }): Promise<RunResult>;
  close(): Promise<void>;
}

export async function openSession(scenario: Scenario, variant: Variant): Promise<Session> {
  const settings = settingsFor(scenario, variant);
  // the naive strategy's pause (adapters/sqlite/naive.ts) goes to the schedule being played
  let pause: NaivePause | null = null;
  const db = await openExploreDatabase({ settings, naive: variant.strategy === 'naive' ? (seen) => pause!(seen) : undefined });
  return {
    async run(schedule, opts) {
      db.reset();
      const world = await startExploreWorld({ settings, script: scenario.supplier, start: SIM_START });
      try {
        return await runSchedule({ scenario, variant, settings, db, world, schedule, expect: opts.expect, setPause: (p) => (pause = p) });
      } finally {
        await world.close();
      }
    },
    close: () => db.close(),
  };
}

interface RunInput {
  scenario: Scenario;
  variant: Variant;
  settings: Settings;
  db: ScratchBackend;
  world: ExploreWorld;
  schedule: Schedule;
  expect: boolean;
  setPause(p: NaivePause): void;
}

async function runSchedule({ scenario, variant, settings, db, world, schedule, expect, setPause }: RunInput): Promise<RunResult> {
  let proc: Process | null = null;
  const rec = new Recorder();
  setPause((seen) => {
    const lane = known.lanes.get(seen.orderId) ?? `#${seen.orderId}`;
    rec.note(lane, `read ${seen.onHand} on hand`, { read: seen.onHand });
    return proc!.gate.pause(lane, 'writes what it decided:');
  });
  const known: Knowledge = { lanes: new Map(), refs: new Map(), creating: null, calls: world.calls, keyAttempts: 0 };
  const branching: number[] = [];
  let crashedAfter: number | null = null;

  const start = (n: number): Process => {
    const gate = new Gate();
    const bus = createBus();
    const ports = instrument({ store: db.store, queue: db.queue, supplier: world.supplier }, gate, rec, known, variant);
    // a fixed database identity: every replay of a schedule sends the same supplier keys (app/keys.ts)
    const handlers = createHandlers({
      store: ports.store,
      supplier: ports.supplier,
      clock: world.clock,
      bus,
      settings,
      databaseId: async () => EXPLORE_DATABASE_ID,
    });
    const runner = createRunner({
      store: ports.store,
      queue: ports.queue,
      clock: world.clock,
      bus,
      settings,
      handlers,
      random: createRandom(n),
      workerId: `process-${n}`,
    });
    return {
      gate,
      runner,
      orders: createOrderService({ store: ports.store, clock: world.clock, bus }),
      inventory: createInventoryService({ store: ports.store, clock: world.clock }),
    };
  };

  /** Releases steps as the schedule says until `work` ends ('done') or the process dies ('crashed'). */
  async function drive(p: Process, work: Promise<unknown>): Promise<'done' | 'crashed'> {
    let state = 'running' as 'running' | 'done' | 'failed';
    let failure: unknown;
    work.then(
      () => (state = 'done'),
      (error: unknown) => {
        state = 'failed';
        failure = error;
      },
    );
    let idle = 0;
    let seen = '';
    for (;;) {
      await new Promise<void>((r) => setImmediate(r));
      // wait until nothing moves: no released call in flight, the same steps ready as a turn ago
      const now = `${p.gate.active}/${p.gate.pending.length}/${state}`;
      if (p.gate.active > 0 || now !== seen) {
        seen = now;
        if (++idle > STUCK_TURNS) throw new Error(`the engine did not settle (${now})`);
        continue;
      }
      if (state === 'failed') throw failure;
      if (state === 'done') return 'done';
      if (p.gate.pending.length === 0) {
        if (++idle > STUCK_TURNS) throw new Error('the engine stopped with nothing ready and its work unfinished');
        continue;
      }
      idle = 0;
      if (schedule.crash !== null && crashedAfter === null && rec.steps.length >= schedule.crash) {
        crashedAfter = rec.steps.length;
        p.gate.kill();
        return 'crashed';
      }
      let i = 0;
      if (p.gate.pending.length > 1) {
        const n = p.gate.pending.length;
        i = (schedule.choices[branching.length] ?? 0) % n;
        branching.push(n);
      }
      const [step] = p.gate.pending.splice(i, 1);
      rec.begin(step!.lane, step!.text);
      step!.release();
      seen = '';
    }
  }

  /** A runner phase survives a crash: the new process runs it again. A client's step is lost with it. */
  async function phase(work: (p: Process) => Promise<unknown>, again: boolean): Promise<void> {
    if ((await drive(proc!, work(proc!))) === 'done') return;
    rec.process = 2;
    proc = start(2);
    if (again) await phase(work, again);
  }

  try {
    proc = start(1);
    for (const [sku, onHand] of Object.entries(scenario.inventory)) await db.store.setOnHand(sku, onHand, world.clock.now());
    // the opening balance, left out of the movements an `expect` block checks (as simulate does)
    const opening = new Set<number>();
    if (expect) for (const item of await db.store.listInventory()) for (const m of await db.store.listMovements(item.sku)) opening.add(m.id);
    for (const group of instants(scenario.steps)) {
      const at = SIM_START + group[0]!.at;
      await phase((p) => p.runner.runUntilIdle({ horizon: at }), true);
      world.clock.advanceTo(Math.max(at, world.clock.now()));
      for (const s of group) await apply(s);
    }
    await phase((p) => p.runner.runUntilIdle(), true);
    const findings = await runChecks({ db, calls: world.calls, scenario, known, opening, crashed: crashedAfter !== null, expect });
    return { steps: rec.steps, crashedAfter, branching, findings, lanes: [...new Set(known.lanes.values())] };
  } finally {
    proc?.gate.kill();
  }

  async function apply(s: Step): Promise<void> {
    if (s.kind === 'order') {
      const n = s.count ?? 1;
      for (let k = 1; k <= n; k++) {
        known.creating = s.count === null ? s.label : `${s.label}.${k}`;
        await phase((p) => p.orders.create(s.lines ? { lines: s.lines } : { sku: s.sku, qty: s.qty }), false);
      }
      known.creating = null;
    } else if (s.kind === 'restock') await phase((p) => p.inventory.add(s.sku, s.qty), false);
    else if (s.kind === 'set') await phase((p) => p.inventory.set(s.sku, s.onHand), false);
    else {
      // cancel or fulfil of an order made by an earlier step (its lane); a state that refuses changes nothing
      const id = [...known.lanes].find(([, lane]) => lane === s.label)?.[0];
      const act = s.kind;
      if (id !== undefined) await phase((p) => (act === 'cancel' ? p.orders.cancel(id) : p.orders.fulfil(id)).catch(() => undefined), false);
    }
  }
}
