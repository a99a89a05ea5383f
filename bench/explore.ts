/**
 * Explorer benchmark (`npm run bench:explore`, or `npx tsx bench/explore.ts [--random 1000]`).
 * Prints, against the targets of issue 22:
 * - the exhaustive exploration, crashes included, of a two-order one-SKU scenario (the lock's
 *   lesson): schedules, crash points, seconds (target ≤ 10 s);
 * - each broken variant on its lesson: seconds until found (target ≤ 10 s each);
 * - N schedules of the same scenario, choices and crash points varied: schedules a second (target ≥ 1,000).
 * Wall and CPU time both: on a shared machine the wall clock also counts other processes' turns.
 * A benchmark, not a test: it never fails a build.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Variant } from '../src/explore/model.js';
import { explore } from '../src/explore/search.js';
import { loadScenarioFile } from '../src/sim/loader.js';

const { values } = parseArgs({ options: { random: { type: 'string', default: '1000' } } });
const lessons = join(import.meta.dirname, '..', 'scenarios', 'lessons');

async function scenario(name: string) {
  const r = await loadScenarioFile(join(lessons, `${name}.yaml`));
  if (!r.ok) throw new Error(`${name}: ${r.problems.map((p) => p.message).join('; ')}`);
  return r.scenario;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const real: Variant = { strategy: 'pessimistic', breaks: [] };
const lock = await scenario('the-lock');
const fig = (s: number) => s.toFixed(2);

const ex = await timed(() => explore(lock, { variant: real, crashes: true, budget: 100_000, seed: 1, expect: false }));
console.log(
  `exhaustive, crashes, 2 orders 1 SKU (the-lock): ${ex.value.exhaustive ? 'all' : 'NOT all'} ${ex.value.schedules} schedules, ${ex.value.crashPoints} crash points in ${fig(ex.wall)} s wall (${fig(ex.cpu)} s CPU); target ≤ 10 s`,
);

for (const [name, variant, crashes] of [
  ['the-lock', { strategy: 'naive', breaks: [] }, false],
  ['the-outbox', { strategy: 'pessimistic', breaks: ['outbox'] }, true],
  ['idempotent-jobs', { strategy: 'pessimistic', breaks: ['idempotency'] }, true],
  ['the-supplier-key', { strategy: 'pessimistic', breaks: ['supplier-key'] }, true],
] as const) {
  const s = await scenario(name);
  const r = await timed(() => explore(s, { variant: variant as Variant, crashes, budget: 2_000, seed: 1, expect: false }));
  const v = r.value.violation;
  console.log(
    `${variant.strategy === 'naive' ? 'naive strategy' : `--break ${variant.breaks[0]}`} on ${name}: ${v ? `found (${v.run.findings[0]!.invariant}), ${v.run.steps.length} steps` : 'NOT found'} after ${r.value.schedules} schedules in ${fig(r.wall)} s wall (${fig(r.cpu)} s CPU); target ≤ 10 s`,
  );
}

const n = Number(values.random);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`load average before the random run: ${load()}`);
const rnd = await timed(async () => {
  const { openSession } = await import('../src/explore/schedule.js');
  const session = await openSession(lock, real);
  try {
    for (let i = 0; i < n; i++) await session.run({ choices: [i % 2, (i >> 1) % 2], crash: i % 3 === 0 ? null : 1 + (i % 6) }, { expect: false });
  } finally {
    await session.close();
  }
});
console.log(
  `random schedules of the-lock (crashes in two of three): ${n} in ${fig(rnd.wall)} s wall, ${Math.round(n / rnd.wall)} a second (${Math.round(n / rnd.cpu)} per CPU second); target ≥ 1,000 a second; load average after: ${load()}`,
);
