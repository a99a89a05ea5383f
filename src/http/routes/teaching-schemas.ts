/**
 * Schemas of the teaching routes (the dashboard's API: clock, events, explain, jobs, supplier
 * scripts, overview), written once in zod like src/http/schemas.ts: they validate requests, type
 * the handlers, encode the responses and appear in GET /openapi.json.
 */
import { type Zod, z } from '../../kit/zod.js';
import { RESERVE_ANSWERS, STATUS_ANSWERS } from '../../domain/supplier-script.js';
import { JOB_TYPES } from '../../domain/jobs.js';
import { ORDER_STATUSES } from '../../domain/order.js';
import { SKU_INPUT_PATTERN, SKU_RULE, skuSchema } from '../../domain/validation.js';
import { documented } from '../openapi.js';
import { MAX_PAGE, problemSchema } from '../schemas.js';

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

const RATE_RULE = 'rate must be 1, 10 or 100';
const SECONDS_RULE = 'seconds must be a whole number from 1 to 86400';

/** one of four actions; `play` needs its rate and `advance` its seconds (the document says so: one schema per action) */
export const clockActionBody = z
  .discriminatedUnion(
    'action',
    [
      z.strictObject({ action: z.literal('pause') }).meta({ description: 'stop time' }),
      z
        .strictObject({
          action: z.literal('play'),
          rate: z
            .literal([1, 10, 100], { error: (issue) => (issue.input === undefined ? 'play needs a rate: 1, 10 or 100' : RATE_RULE) })
            .meta({ description: 'virtual seconds per wall second' }),
        })
        .meta({ description: 'let time flow at rate × wall time, stopping at each moment something is due' }),
      z.strictObject({ action: z.literal('step') }).meta({ description: 'to the next due job or timer, and run what is due then' }),
      z
        .strictObject({
          action: z.literal('advance'),
          seconds: z
            .number({ error: (issue) => (issue.input === undefined ? 'advance needs seconds, a whole number from 1 to 86400' : SECONDS_RULE) })
            .int({ error: SECONDS_RULE })
            .min(1, { error: SECONDS_RULE })
            .max(86_400, { error: SECONDS_RULE })
            .meta({ description: 'how far to move, running every moment on the way at its own time' }),
        })
        .meta({ description: 'move time forward, every moment on the way at its own time' }),
    ],
    { error: 'action must be one of pause, play, step, advance' },
  )
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

export const jobListSchema = z
  .object({
    jobs: z.array(jobSchema),
    counts: jobCountsSchema,
    truncated: z.boolean(),
    lastMinute: z
      .object({ complete: z.number().int(), retry: z.number().int(), dead: z.number().int() })
      .meta({ description: "jobs completed, retried and dead-lettered in the last minute of the engine's clock (counted by this server since it started)" }),
  })
  .meta({ id: 'JobList' });

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

/** a job's or a dead letter's id: digits, no sign, no leading zero (the queue's ids are opaque strings; these are its SQL row ids) */
const queueId = (what: string) =>
  documented(z.string().regex(/^[1-9][0-9]{0,14}$/, { error: 'id must be a positive whole number' }), {
    type: 'string',
    pattern: '^[1-9][0-9]{0,14}$',
    maxLength: 15,
    description: what,
    examples: ['1'],
  });
export const jobIdParams = z.strictObject({ id: queueId("the job's id (GET /api/jobs)") });
export const deadLetterIdParams = z.strictObject({ id: queueId("the dead letter's id (GET /api/jobs/dead-letters)") });

export const DEFAULT_JOB_LIMIT = 200;
const JOB_LIMIT_RULE = `limit must be a whole number from 1 to ${MAX_PAGE}`;
export const jobListQuery = z.strictObject({
  limit: documented(
    z
      .string()
      .regex(/^[1-9][0-9]{0,3}$/, { error: JOB_LIMIT_RULE })
      .transform(Number)
      .refine((n) => n <= MAX_PAGE, { error: JOB_LIMIT_RULE }),
    {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PAGE,
      default: DEFAULT_JOB_LIMIT,
      description: `at most this many jobs, the soonest due first (default ${DEFAULT_JOB_LIMIT})`,
    },
  ).optional(),
});

export const deadLetterQuery = z.strictObject({
  all: z.enum(['true', 'false'], { error: 'all is true or false' }).optional().meta({ description: 'true: also the dead letters already retried' }),
});

// ---------------------------------------------------------------- supplier scripts

const answerList = <T extends readonly string[]>(values: T, what: string, examples: string[][]) =>
  z
    .array(z.enum(values as unknown as [string, ...string[]], { error: `a ${what} answer is one of ${values.join(', ')}` }), {
      error: `${what} is a list of answers`,
    })
    .min(1, { error: `${what} needs at least one answer` })
    .max(100, { error: `${what} has at most 100 answers` })
    .meta({ examples });

export const supplierScriptBody = z
  .strictObject({
    reserve: answerList(RESERVE_ANSWERS, 'reserve', [['accepted'], ['error', 'accepted']])
      .optional()
      .meta({ description: `successive reserve answers of each order, the last repeating (${RESERVE_ANSWERS.join(', ')}); default [accepted]` }),
    status: answerList(STATUS_ANSWERS, 'status', [['ok'], ['delayed', 'delayed', 'ok']])
      .optional()
      .meta({ description: `successive status answers of each order's ref, the last repeating (${STATUS_ANSWERS.join(', ')}); default [ok]` }),
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
  sku: documented(z.union([z.literal('*'), skuSchema]), {
    type: 'string',
    minLength: 1,
    maxLength: 64,
    pattern: `^(\\*|${SKU_INPUT_PATTERN.source.slice(1, -1)})$`,
    description: `a SKU (${SKU_RULE}; upper-cased), or * for every SKU without a script of its own`,
    examples: ['WIDGET-1', '*'],
  }),
});

// ---------------------------------------------------------------- overview

export const overviewSchema = z
  .object({
    orders: z.object(Object.fromEntries(ORDER_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof ORDER_STATUSES)[number], Zod.ZodNumber>),
    jobs: jobCountsSchema,
    runner: z.object({ state: z.string(), reason: z.string().nullable() }),
    clock: clockSchema,
    auth: z.boolean().meta({ description: 'writes need a bearer token (WAREHOUSE_API_TOKEN or a named token with its scope)' }),
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
