/**
 * The variants as the commands take them (`--reserve-strategy`, `--break`), for `explore` and
 * `simulate` alike; and a variant's ports for an engine nobody schedules (`simulate`): the same
 * broken wrappers as the explorer's (instrument.ts), behind a gate that lets every step go at once,
 * and the naive strategy's pause a turn of the event loop, so jobs running at once interleave there.
 */
import { UsageError } from '../domain/errors.js';
import { OpenGate, Recorder } from './gate.js';
import { type Instrumented, instrument, type Knowledge } from './instrument.js';
import { BREAKS, type Break, type ExploreStrategy, type Variant } from './model.js';
import { STRATEGIES } from './token.js';

/** `--reserve-strategy` and `--break` (repeated or comma-separated) as a variant; bad input is a UsageError (exit 2). */
export function parseVariant(strategy: string | undefined, breaks: readonly string[] | undefined): Variant {
  const s = strategy ?? 'pessimistic';
  if (!(STRATEGIES as readonly string[]).includes(s)) {
    throw new UsageError(`--reserve-strategy must be one of ${STRATEGIES.join(', ')} (got ${JSON.stringify(s)})`);
  }
  const list = (breaks ?? []).flatMap((b) => b.split(',')).filter(Boolean);
  for (const b of list) {
    if ((BREAKS as readonly string[]).includes(b)) continue;
    // `--break <variant...>` takes every word after it: a file there was meant as a scenario
    const file = /\.ya?ml$|[\\/]/.test(b) ? `; ${b} looks like a scenario file: give the files before --break, or write --break=${BREAKS[0]}` : '';
    throw new UsageError(`--break must be one of ${BREAKS.join(', ')} (got ${JSON.stringify(b)})${file}`);
  }
  return { strategy: s as ExploreStrategy, breaks: [...new Set(list)] as Break[] };
}

/** Whether a variant is one of the deliberately broken ones (teaching only). */
export const isBroken = (v: Variant) => v.strategy === 'naive' || v.breaks.length > 0;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What `createWarehouse({ teaching })` needs to run `variant` unscheduled (simulate). */
export function teachingOf(variant: Variant): { naive?: () => Promise<void>; ports?: (p: Instrumented) => Instrumented } {
  const known: Knowledge = { lanes: new Map(), refs: new Map(), creating: null, calls: [], keyAttempts: 0 };
  return {
    ...(variant.strategy === 'naive' ? { naive: turn } : {}),
    ...(variant.breaks.length ? { ports: (p: Instrumented) => instrument(p, new OpenGate(), new Recorder(), known, variant) } : {}),
  };
}
