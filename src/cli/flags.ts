/** Parsing the engine options declared in options.ts (order create, work, serve). */
import { parseAnswerList, RESERVE_ANSWERS, STATUS_ANSWERS, type SupplierScript } from '../adapters/supplier/script.js';
import { DURATION_FORM, parseDuration } from '../domain/duration.js';
import { UsageError } from '../domain/errors.js';
import { RESERVE_STRATEGIES, type ReserveStrategy, type Settings } from '../domain/settings.js';
import { numberFromText } from '../domain/validation.js';

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`${flag} must be ${DURATION_FORM} (got ${JSON.stringify(text)})`);
  return ms;
}

function count(flag: string, text: string, min: number): number {
  const rule = `${flag} must be a whole number, ${min} or more`;
  const n = numberFromText(flag.replace(/^--/, ''), text, rule);
  if (n < min) throw new UsageError(`${rule} (got ${text})`);
  return n;
}

export function settingsFromFlags(opts: Record<string, unknown>): Partial<Settings> {
  const s: Partial<Settings> = {};
  const str = (k: string) => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
  const v = {
    checkDelay: str('checkDelay'),
    maxDelayedRetries: str('maxDelayedRetries'),
    jobAttempts: str('jobAttempts'),
    backoffBase: str('backoffBase'),
    backoffCap: str('backoffCap'),
    lease: str('lease'),
    concurrency: str('concurrency'),
    reserveStrategy: str('reserveStrategy'),
  };
  if (v.checkDelay !== undefined) s.checkDelayMs = duration('--check-delay', v.checkDelay);
  if (v.maxDelayedRetries !== undefined) s.maxDelayedRetries = count('--max-delayed-retries', v.maxDelayedRetries, 0);
  if (v.jobAttempts !== undefined) s.jobAttempts = count('--job-attempts', v.jobAttempts, 1);
  if (v.backoffBase !== undefined) s.backoffBaseMs = duration('--backoff-base', v.backoffBase);
  if (v.backoffCap !== undefined) s.backoffCapMs = duration('--backoff-cap', v.backoffCap);
  if (v.lease !== undefined) s.leaseMs = duration('--lease', v.lease);
  if (v.concurrency !== undefined) s.concurrency = count('--concurrency', v.concurrency, 1);
  if (v.reserveStrategy !== undefined) {
    if (!(RESERVE_STRATEGIES as readonly string[]).includes(v.reserveStrategy)) {
      throw new UsageError(`--reserve-strategy must be one of ${RESERVE_STRATEGIES.join(', ')} (got ${JSON.stringify(v.reserveStrategy)})`);
    }
    s.reserveStrategy = v.reserveStrategy as ReserveStrategy;
  }
  return s;
}

export function seedFromFlags(opts: Record<string, unknown>): number | undefined {
  return typeof opts.seed === 'string' ? count('--seed', opts.seed, 0) : undefined;
}

/** `--supplier-status` / `--supplier-reserve` as a mock script for `sku` (`*`: every SKU). */
export function scriptFromFlags(opts: Record<string, unknown>, sku = '*'): SupplierScript | undefined {
  try {
    const status = typeof opts.supplierStatus === 'string' ? parseAnswerList('--supplier-status', opts.supplierStatus, STATUS_ANSWERS) : undefined;
    const reserve = typeof opts.supplierReserve === 'string' ? parseAnswerList('--supplier-reserve', opts.supplierReserve, RESERVE_ANSWERS) : undefined;
    if (!status && !reserve) return undefined;
    return { [sku]: { ...(status ? { status } : {}), ...(reserve ? { reserve } : {}) } };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
