/** Parsing the engine options declared in options.ts (order create, work, serve). */
import { parseAnswerList, RESERVE_ANSWERS, STATUS_ANSWERS, type SkuScript, type SupplierScript } from '../domain/supplier-script.js';
import { DURATION_FORM, parseDuration } from '../domain/duration.js';
import { UsageError } from '../domain/errors.js';
import { RESERVE_STRATEGIES, type ReserveStrategy, type Settings } from '../domain/settings.js';
import { numberFromText, parseReservationTtl } from '../domain/validation.js';
import { parseQueue, type QueueConfig } from '../config.js';

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`${flag} must be ${DURATION_FORM} (got ${JSON.stringify(text)})`);
  return ms;
}

function reservationTtl(text: string): number {
  try {
    return parseReservationTtl(text);
  } catch {
    throw new UsageError(`--reservation-ttl must be ${DURATION_FORM}, from 1s to 720h (got ${JSON.stringify(text)})`);
  }
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
    reservationTtl: str('reservationTtl'),
  };
  if (v.reservationTtl !== undefined) s.reservationTtlMs = reservationTtl(v.reservationTtl);
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

/** `--supplier-status` / `--supplier-reserve` as one script (undefined when neither is given). */
function answersFromFlags(opts: Record<string, unknown>): SkuScript | undefined {
  let script: SkuScript;
  try {
    const status = typeof opts.supplierStatus === 'string' ? parseAnswerList('--supplier-status', opts.supplierStatus, STATUS_ANSWERS) : undefined;
    const reserve = typeof opts.supplierReserve === 'string' ? parseAnswerList('--supplier-reserve', opts.supplierReserve, RESERVE_ANSWERS) : undefined;
    if (!status && !reserve) return undefined;
    script = { ...(status ? { status } : {}), ...(reserve ? { reserve } : {}) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (typeof opts.supplierUrl === 'string' && opts.supplierUrl) {
    throw new UsageError(
      '--supplier-status and --supplier-reserve script the in-process mock supplier, and --supplier-url replaces it: ' +
        'script that supplier instead (`warehouse supplier serve --script file.yaml`, or PUT /mock/scripts/{sku} while it runs)',
    );
  }
  return script;
}

/**
 * For `work` and `serve`: the flags as the mock's script for every SKU (`*`). It is stored with
 * the mock's state, so it stays the supplier's mood for later runs on the same database too.
 */
export function scriptFromFlags(opts: Record<string, unknown>): SupplierScript | undefined {
  const script = answersFromFlags(opts);
  return script ? { '*': script } : undefined;
}

/**
 * For `order create`: the flags as that order's own script (docs/design.md §5.3): it belongs to the order's
 * conversation, whichever process runs its jobs, and changes no other order's answers.
 */
export function orderScriptFromFlags(opts: Record<string, unknown>): SkuScript | undefined {
  return answersFromFlags(opts);
}

/** `--queue` (its default is REDIS_URL): undefined for the in-database queue. */
export function parseQueueFlag(value: unknown): QueueConfig | undefined {
  return typeof value === 'string' && value.trim() !== '' ? parseQueue(value) : undefined;
}
