/**
 * Replay tokens: `v1.<strategy>.<breaks>.<crash>.<choices>`, e.g. `v1.naive.-.-.01` or
 * `v1.pessimistic.outbox.3.-` — the variant, the crash point (`-`: none) and the choices, one
 * base-36 digit each (`-`: all first come, first served). `--replay TOKEN` plays exactly that.
 */
import { UsageError } from '../domain/errors.js';
import { RESERVE_STRATEGIES } from '../domain/settings.js';
import { BREAKS, type Break, type ExploreStrategy, type Schedule, type Variant } from './model.js';

export const STRATEGIES: readonly ExploreStrategy[] = [...RESERVE_STRATEGIES, 'naive'];

export function encodeToken(variant: Variant, schedule: Schedule): string {
  const breaks = variant.breaks.length ? [...variant.breaks].sort().join('+') : '-';
  const choices = schedule.choices.length ? schedule.choices.map((c) => Math.min(c, 35).toString(36)).join('') : '-';
  return `v1.${variant.strategy}.${breaks}.${schedule.crash ?? '-'}.${choices}`;
}

export function decodeToken(token: string): { variant: Variant; schedule: Schedule } {
  const bad = (why: string) => new UsageError(`not a replay token: ${JSON.stringify(token)} (${why}); copy the one \`warehouse explore\` printed`);
  const parts = token.trim().split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') throw bad('expected v1.<strategy>.<breaks>.<crash>.<choices>');
  const [, strategy, breaks, crash, choices] = parts as [string, string, string, string, string];
  if (!(STRATEGIES as readonly string[]).includes(strategy)) throw bad(`unknown strategy ${strategy}`);
  const list = breaks === '-' ? [] : breaks.split('+');
  for (const b of list) if (!(BREAKS as readonly string[]).includes(b)) throw bad(`unknown variant ${b}`);
  if (crash !== '-' && !/^[1-9]\d{0,5}$/.test(crash)) throw bad('the crash point is not a step number');
  if (choices !== '-' && !/^[0-9a-z]+$/.test(choices)) throw bad('the choices are not base-36 digits');
  return {
    variant: { strategy: strategy as ExploreStrategy, breaks: list as Break[] },
    schedule: { crash: crash === '-' ? null : Number(crash), choices: choices === '-' ? [] : [...choices].map((c) => Number.parseInt(c, 36)) },
  };
}
