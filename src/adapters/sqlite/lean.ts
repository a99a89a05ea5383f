/**
 * drizzle's prepared statements, called without drizzle's work on every call.
 *
 * drizzle builds the SQL, prepares it once and knows how its values map; that stays drizzle's. But
 * each call of a drizzle prepared query also walks its parameter list with `is()` checks (the
 * prototype chain of every parameter, every call), builds the argument array, and maps every row
 * through `mapResultRow` (a `reduce` with a path iterator and a null map per row). On the engine's
 * hot path (11 statements an order) that was ~30 % of what the engine allocates and a few percent of
 * its CPU (docs/performance.md, "drizzle's per-call work"). `lean()` reads once what drizzle
 * prepared (the statement, its parameters in order, the selected fields and their decoders) and
 * answers `run`, `get` and `all` with the same values from a plan made once: the parameters
 * named in order, each field's key and decoder.
 *
 * What it reads of drizzle's prepared query besides `getQuery()` is internal (its statement and
 * its fields); anything it does not expect there (a nested or joined selection, a custom mapper)
 * leaves the query to drizzle as it is. test/adapters/lean.test.ts runs every statement both ways.
 */
import type { RunResult, Statement } from 'better-sqlite3';
import { is, Param, Placeholder, SQL } from './drizzle.js';

/** the calls of a prepared query the adapters make */
export interface Calls {
  run(values?: Record<string, unknown>): unknown;
  get(values?: Record<string, unknown>): unknown;
  all(values?: Record<string, unknown>): unknown;
}

interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}
interface Encoder {
  mapToDriverValue(value: unknown): unknown;
}
/** what `lean` reads of drizzle's better-sqlite3 prepared query (drizzle-orm/better-sqlite3/session) */
interface DrizzleInternals {
  stmt?: Statement;
  /** the selection in column order; a path longer than one is a joined table's (drizzle then nulls a row's absent join: not covered here) */
  fields?: Array<{ path: string[]; field: unknown }>;
  customResultMapper?: unknown;
  getQuery(): { sql: string; params: unknown[] };
}

/** One parameter: a placeholder's name (its encoder, if the column maps values), or a constant. */
type Bound = { name: string; encoder: Encoder | null } | { value: unknown };

function planParams(params: unknown[]): Bound[] | null {
  const out: Bound[] = [];
  for (const p of params) {
    if (is(p, Placeholder)) out.push({ name: p.name, encoder: null });
    else if (is(p, Param)) {
      if (!is(p.value, Placeholder)) return null; // drizzle writes constants inline or as values; a Param of a value is not expected
      out.push({ name: p.value.name, encoder: p.encoder as Encoder });
    } else if (p === null || typeof p !== 'object') out.push({ value: p });
    else return null;
  }
  return out;
}

function decoderOf(field: unknown): Decoder | null {
  // an SQL expression's decoder is internal to drizzle (`sql<T>` has a no-op one, `.mapWith()` sets it)
  if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder;
  if (is(field, SQL.Aliased)) return (field.sql as unknown as { decoder: Decoder }).decoder;
  // a column decodes its own values (drizzle's Column.mapFromDriverValue)
  if (field !== null && typeof field === 'object' && typeof (field as Decoder).mapFromDriverValue === 'function') return field as Decoder;
  return null;
}

/**
 * `prepared`, answered by a plan made once (see above), or `prepared` itself when its shape is not
 * one the plan covers. The values are drizzle's: the same arguments bound, the same rows mapped.
 */
export function lean<Q extends Calls>(prepared: Q): Q {
  const d = prepared as unknown as DrizzleInternals;
  const stmt = d.stmt;
  if (!stmt || typeof stmt.run !== 'function' || d.customResultMapper) return prepared;
  const params = planParams(d.getQuery().params);
  if (!params) return prepared;
  /** drizzle's SQL and parameters, as its own query answers (for tests and explanations) */
  const getQuery = () => d.getQuery();

  const count = params.length;
  const bind = (values: Record<string, unknown> = {}): unknown[] => {
    const args = new Array<unknown>(count);
    for (let i = 0; i < count; i++) {
      const b = params[i]!;
      if ('value' in b) {
        args[i] = b.value;
        continue;
      }
      if (!(b.name in values)) throw new Error(`No value for placeholder "${b.name}" was provided`);
      const v = values[b.name];
      args[i] = b.encoder ? b.encoder.mapToDriverValue(v) : v;
    }
    return args;
  };

  if (!d.fields) {
    // no selection: better-sqlite3's own objects (an INSERT, UPDATE or DELETE; RETURNING without fields)
    return {
      getQuery,
      run: (values?: Record<string, unknown>): RunResult => stmt.run(bind(values)),
      get: (values?: Record<string, unknown>): unknown => stmt.get(bind(values)),
      all: (values?: Record<string, unknown>): unknown => stmt.all(bind(values)),
    } as unknown as Q;
  }

  const keys: string[] = [];
  const decoders: Decoder[] = [];
  for (const { path, field } of d.fields) {
    const decoder = decoderOf(field);
    if (path.length !== 1 || !decoder) return prepared;
    keys.push(path[0]!);
    decoders.push(decoder);
  }
  const width = keys.length;
  const map = (row: unknown[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < width; i++) {
      const v = row[i];
      out[keys[i]!] = v === null ? null : decoders[i]!.mapFromDriverValue(v);
    }
    return out;
  };
  return {
    getQuery,
    run: (values?: Record<string, unknown>): RunResult => stmt.run(bind(values)),
    get: (values?: Record<string, unknown>): unknown => {
      const row = stmt.raw(true).get(bind(values)) as unknown[] | undefined;
      return row === undefined ? undefined : map(row);
    },
    all: (values?: Record<string, unknown>): unknown => (stmt.raw(true).all(bind(values)) as unknown[][]).map(map),
  } as unknown as Q;
}

/** `lean` over every statement of a set (the set's types unchanged) */
export function leanAll<S extends Record<string, Calls>>(statements: S): S {
  const out = {} as Record<string, Calls>;
  for (const [name, prepared] of Object.entries(statements)) out[name] = lean(prepared);
  return out as S;
}
