/**
 * Schemas of the teaching routes (the dashboard's API: clock, events, explain, jobs, supplier
 * scripts, overview), written once in zod like src/http/schemas.ts: they validate requests, type
 * the handlers, encode the responses and appear in GET /openapi.json.
 */
import { z } from 'zod';
import { RESERVE_ANSWERS, STATUS_ANSWERS } from '../../domain/supplier-script.js';
import { JOB_TYPES } from '../../domain/jobs.js';
import { ORDER_STATUSES } from '../../domain/order.js';
import { skuSchema } from '../../domain/validation.js';
import { problemSchema } from '../schemas.js';

const isoTime = z.iso.datetime();
const statuses = ORDER_STATUSES as unknown as [string, ...string[]];

/** an error response served as application/problem+json, described for this route */
export const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

// ---------------------------------------------------------------- clock

export const clockSchema = z
  .object({
    mode: z.enum(['real', 'virtual']),
    paced: z.boolean().meta({ description: 'true: time moves only by the controls (serve --clock virtual); POST /api/clock works' }),
    now: isoTime,
    playing: z.boolean().meta({ description: 'time flows (always true on the real clock)' }),
    rate: z.number().int().meta({ description: 'virtual seconds per wall second while playing' }),
    next: isoTime.nullable().meta({ description: 'the next moment the runner waits for (a job due, a timer); null: nothing scheduled' }),
    settled: z.boolean().meta({ description: 'the runner has nothing left to do at the current instant' }),
    lockedBy: z.string().nullable().meta({ description: 'who drives the clock instead of the controls (the demo); POST is refused meanwhile' }),
  })
  .meta({ id: 'Clock' });

export const clockActionBody = z
  .strictObject({
    action: z.enum(['pause', 'play', 'step', 'advance'], { error: 'action must be one of pause, play, step, advance' }),
    rate: z
      .union([z.literal(1), z.literal(10), z.literal(100)], { error: 'rate must be 1, 10 or 100' })
      .optional()
      .meta({ description: 'play: virtual seconds per wall second' }),
    seconds: z
      .number({ error: 'seconds must be a whole number from 1 to 86400' })
      .int({ error: 'seconds must be a whole number from 1 to 86400' })
      .min(1, { error: 'seconds must be a whole number from 1 to 86400' })
      .max(86_400, { error: 'seconds must be a whole number from 1 to 86400' })
      .optional()
      .meta({ description: 'advance: how far to move, running every moment on the way at its own time' }),
  })
  .meta({ id: 'ClockAction', description: 'pause; play {rate}; step (to the next due job or timer); advance {seconds}' });

// ---------------------------------------------------------------- explain

export const explanationSchema = z
  .object({
    orderId: z.number().int(),
    status: z.enum(statuses),
    failureReason: z.string().nullable(),
    path: z.array(z.enum(statuses)).meta({ description: 'the states the order went through' }),
    pathText: z.string().meta({ example: 'pending → awaiting_restock → failed' }),
    summary: z.string().meta({ description: 'the story in one line of →-separated parts' }),
    events: z.array(
      z.object({
        at: isoTime,
        since: z.number().int().meta({ description: 'ms since the order was created' }),
        type: z.string(),
        text: z.string(),
        transition: z.object({ from: z.enum(statuses), to: z.enum(statuses) }).nullable(),
      }),
    ),
    next: z.string().nullable().meta({ description: 'what the order waits for; null once final' }),
  })
  .meta({ id: 'Explanation' });

// ---------------------------------------------------------------- jobs

const jobTypes = JOB_TYPES as unknown as [string, ...string[]];

export const jobSchema = z
  .object({
    id: z.string(),
    type: z.enum(jobTypes),
    orderId: z.number().int(),
    payload: z.unknown(),
    state: z.enum(['queued', 'running', 'parked']),
    runAt: isoTime,
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    runs: z.number().int(),
    lockedBy: z.string().nullable(),
    lockedUntil: isoTime.nullable(),
    lastError: z.string().nullable(),
    parkedReason: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'Job' });

export const jobCountsSchema = z
  .object({ queued: z.number().int(), running: z.number().int(), parked: z.number().int(), dead: z.number().int() })
  .meta({ id: 'JobCounts' });

export const jobListSchema = z.object({ jobs: z.array(jobSchema), counts: jobCountsSchema, truncated: z.boolean() }).meta({ id: 'JobList' });

export const deadLetterSchema = z
  .object({
    id: z.string(),
    jobId: z.string(),
    type: z.enum(jobTypes),
    orderId: z.number().int(),
    payload: z.unknown(),
    attempts: z.number().int(),
    lastError: z.string(),
    failedAt: isoTime,
    retriedAt: isoTime.nullable(),
  })
  .meta({ id: 'DeadLetter' });

export const enqueuedJobSchema = z
  .object({ id: z.string(), type: z.enum(jobTypes), orderId: z.number().int(), payload: z.unknown(), runAt: isoTime, attempt: z.number().int() })
  .meta({ id: 'EnqueuedJob' });

export const jobIdParams = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,14}$/, { error: 'id must be a positive whole number' }) });

export const jobListQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, { error: 'limit must be a whole number from 1 to 1000' })
    .transform(Number)
    .refine((n) => n <= 1000, { error: 'limit must be a whole number from 1 to 1000' })
    .optional(),
});

export const deadLetterQuery = z.strictObject({
  all: z.enum(['true', 'false'], { error: 'all is true or false' }).optional().meta({ description: 'true: also the dead letters already retried' }),
});

// ---------------------------------------------------------------- supplier scripts

const answerList = <T extends readonly string[]>(values: T, what: string) =>
  z
    .array(z.enum(values as unknown as [string, ...string[]], { error: `a ${what} answer is one of ${values.join(', ')}` }), { error: `${what} is a list of answers` })
    .min(1, { error: `${what} needs at least one answer` })
    .max(100, { error: `${what} has at most 100 answers` });

export const supplierScriptBody = z
  .strictObject({
    reserve: answerList(RESERVE_ANSWERS, 'reserve').optional().meta({ description: `successive reserve answers of each order, the last repeating (${RESERVE_ANSWERS.join(', ')})` }),
    status: answerList(STATUS_ANSWERS, 'status').optional().meta({ description: `successive status answers of each order's ref, the last repeating (${STATUS_ANSWERS.join(', ')})` }),
  })
  .meta({ id: 'SupplierScript' });

export const supplierScriptSchema = z
  .object({ sku: z.string(), reserve: z.array(z.enum(RESERVE_ANSWERS)), status: z.array(z.enum(STATUS_ANSWERS)) })
  .meta({ id: 'SupplierScriptSet' });

export const supplierScriptsSchema = z
  .object({
    supplier: z.enum(['mock', 'service']).meta({ description: 'mock: the in-process mock; service: the supplier at --supplier-url' }),
    scripts: z.array(supplierScriptSchema).meta({ description: 'the scripts set through this API since the server started' }),
  })
  .meta({ id: 'SupplierScripts' });

/** a SKU, or `*` for every SKU without a script of its own */
export const scriptSkuParams = z.strictObject({
  sku: z.union([z.literal('*'), skuSchema]).meta({ description: 'a SKU, or * for every SKU without its own script' }),
});

// ---------------------------------------------------------------- overview

export const overviewSchema = z
  .object({
    orders: z.object(Object.fromEntries(ORDER_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof ORDER_STATUSES)[number], z.ZodNumber>),
    jobs: jobCountsSchema,
    runner: z.object({ state: z.string(), reason: z.string().nullable() }),
    clock: clockSchema,
    auth: z.boolean().meta({ description: 'writes need a bearer token (WAREHOUSE_API_TOKEN)' }),
    supplier: z.enum(['mock', 'service']),
    database: z.string(),
    settings: z.object({
      checkDelayMs: z.number().int(),
      maxDelayedRetries: z.number().int(),
      jobAttempts: z.number().int(),
      backoffBaseMs: z.number().int(),
      backoffCapMs: z.number().int(),
      supplierTimeoutMs: z.number().int(),
    }),
  })
  .meta({ id: 'Overview' });

export const checkSchema = z
  .object({
    ok: z.boolean(),
    violations: z.array(z.object({ rule: z.string(), message: z.string() })),
  })
  .meta({ id: 'Check' });
