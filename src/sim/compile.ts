/**
 * From a scenario file that has the right shape (schema.ts) to a Scenario the runner can replay:
 * SKUs normalised as everywhere else (trimmed, upper-cased), steps checked to be in time order,
 * and every name an expectation uses checked against what the steps create.
 */
import { skuSchema, SKU_RULE } from '../domain/validation.js';
import type { Settings } from '../domain/settings.js';
import type { SupplierScript, SkuScript } from '../domain/supplier-script.js';
import { formatDuration } from '../domain/duration.js';
import type { Expectations, MovementExpectation, OrderExpectation, Scenario, Step } from './model.js';
import { nearest, type Path } from './locate.js';
import type { RawScenario } from './schema.js';

/** Reports a problem at a path; `key` points at the map key rather than its value. */
export type Report = (path: Path, message: string, key?: boolean) => void;

const ORDER_FIELDS = ['status', 'supplierChecks', 'failureReason', 'settledAt'] as const;

function settingsOf(raw: RawScenario['settings']): Partial<Settings> {
  const s: Partial<Settings> = {};
  if (!raw) return s;
  if (raw.checkDelay !== undefined) s.checkDelayMs = raw.checkDelay;
  if (raw.maxDelayedRetries !== undefined) s.maxDelayedRetries = raw.maxDelayedRetries;
  if (raw.jobAttempts !== undefined) s.jobAttempts = raw.jobAttempts;
  if (raw.backoffBase !== undefined) s.backoffBaseMs = raw.backoffBase;
  if (raw.backoffCap !== undefined) s.backoffCapMs = raw.backoffCap;
  if (raw.supplierTimeout !== undefined) s.supplierTimeoutMs = raw.supplierTimeout;
  if (raw.reserveStrategy !== undefined) s.reserveStrategy = raw.reserveStrategy;
  if (raw.reservationTtl !== undefined) s.reservationTtlMs = raw.reservationTtl;
  return s;
}

/** Normalises the SKU keys of a map, reporting bad and duplicate ones. */
function skuMap<T, U>(raw: Record<string, T> | undefined, base: Path, report: Report, map: (v: T, key: string) => U, allowStar = false): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    const parsed = allowStar && key === '*' ? { success: true as const, data: '*' } : skuSchema.safeParse(key);
    if (!parsed.success) {
      report([...base, key], `"${key}" is not a SKU: ${SKU_RULE}`, true);
      continue;
    }
    if (parsed.data in out) {
      report(
        [...base, key],
        `SKU ${parsed.data} appears twice in ${base.join('.')} (SKUs are trimmed and upper-cased, so "${key}" is ${parsed.data} too)`,
        true,
      );
      continue;
    }
    out[parsed.data] = map(value, parsed.data);
  }
  return out;
}

function skuField(text: string, path: Path, report: Report): string {
  const parsed = skuSchema.safeParse(text);
  if (parsed.success) return parsed.data;
  report(path, `"${text}" is not a SKU: ${SKU_RULE}`);
  return text;
}

export function compile(file: string, raw: RawScenario, report: Report): Scenario {
  const inventory = skuMap(raw.inventory, ['inventory'], report, (v) => v);
  const supplier: SupplierScript = skuMap(raw.supplier, ['supplier'], report, (v) => v as SkuScript, true);

  // steps: normalise, check time order and labels
  const steps: Step[] = [];
  const singles = new Set<string>();
  const groups = new Map<string, number>();
  /** the lines of multi-line orders (`a/1`): expectations may name them, cancel and fulfil may not */
  const lineLabels = new Set<string>();
  const skus = new Set(Object.keys(inventory));
  let last = 0;
  raw.steps.forEach((s, i) => {
    const base: Path = ['steps', i];
    if (s.at < last) report([...base, 'at'], `steps must be in time order: this step at ${formatDuration(s.at)} comes after one at ${formatDuration(last)}`);
    last = Math.max(last, s.at);
    const said = s.say === undefined ? {} : { say: s.say };
    if (s.order) {
      const label = s.order.id;
      if (singles.has(label) || groups.has(label)) report([...base, 'order', 'id'], `duplicate order label "${label}": each order step needs its own id`);
      else if (s.order.count === undefined) singles.add(label);
      else groups.set(label, s.order.count);
      if (s.order.lines) {
        // a multi-line order: each SKU once (as the API says); its lines get labels of their own
        const seen = new Map<string, number>();
        const lines = s.order.lines.map((l, j) => {
          const sku = skuField(l.sku, [...base, 'order', 'lines', j, 'sku'], report);
          const first = seen.get(sku);
          if (first !== undefined)
            report([...base, 'order', 'lines', j, 'sku'], `line ${j + 1}: ${sku} is already line ${first}; an order has one line per SKU`);
          seen.set(sku, j + 1);
          skus.add(sku);
          return { sku, qty: l.qty };
        });
        const members = s.order.count === undefined ? [label] : Array.from({ length: s.order.count }, (_, k) => `${label}.${k + 1}`);
        for (const m of members) for (let n = 1; n <= lines.length; n++) lineLabels.add(`${m}/${n}`);
        const qty = lines.reduce((n, l) => n + l.qty, 0);
        steps.push({ kind: 'order', at: s.at, label, sku: lines.map((l) => l.sku).join('+'), qty, lines, count: s.order.count ?? null, ...said });
        return;
      }
      const sku = skuField(s.order.sku!, [...base, 'order', 'sku'], report);
      skus.add(sku);
      steps.push({ kind: 'order', at: s.at, label, sku, qty: s.order.qty!, lines: null, count: s.order.count ?? null, ...said });
    } else if (s.restock) {
      const sku = skuField(s.restock.sku, [...base, 'restock', 'sku'], report);
      skus.add(sku);
      steps.push({ kind: 'restock', at: s.at, sku, qty: s.restock.qty, ...said });
    } else if (s.set) {
      const sku = skuField(s.set.sku, [...base, 'set', 'sku'], report);
      skus.add(sku);
      steps.push({ kind: 'set', at: s.at, sku, onHand: s.set.onHand, ...said });
    } else if (s.cancel || s.fulfil) {
      const kind = s.cancel ? 'cancel' : 'fulfil';
      const label = (s.cancel ?? s.fulfil)!.order;
      if (!singles.has(label)) report([...base, kind, 'order'], `no earlier order step has the id "${label}": ${kind} names a single order made before it`);
      steps.push({ kind, at: s.at, label, ...said });
    }
  });

  const labels = [...singles, ...groups.keys()];
  const memberOk = (label: string) => {
    const m = /^(.+)\.(\d+)$/.exec(label);
    if (!m) return false;
    const n = groups.get(m[1]!);
    return n !== undefined && Number(m[2]) >= 1 && Number(m[2]) <= n;
  };
  const unknownLabel = (label: string, what: string) => {
    const hint = nearest(label, labels);
    const known = labels.length
      ? `the steps create ${labels.map((l) => (groups.has(l) ? `${l}.1…${l}.${groups.get(l)}` : l)).join(', ')}`
      : 'no step creates an order';
    return `${what} "${label}" is not created by any step${hint ? `; did you mean "${hint}"?` : ''} (${known})`;
  };
  const knownSku = (sku: string, path: Path) => {
    if (skus.has(sku)) return true;
    const hint = nearest(sku, [...skus]);
    report(path, `no step or opening inventory uses SKU ${sku}${hint ? `; did you mean ${hint}?` : ''} (known: ${[...skus].join(', ') || 'none'})`, true);
    return false;
  };

  const e = raw.expect ?? {};
  const expect: Expectations = { orders: {}, count: {}, inventory: {}, movements: {} };
  for (const [label, exp] of Object.entries(e.orders ?? {})) {
    if (!singles.has(label) && !groups.has(label) && !memberOk(label) && !lineLabels.has(label)) {
      report(['expect', 'orders', label], unknownLabel(label, 'order label'), true);
      continue;
    }
    const o: OrderExpectation = {};
    for (const f of ORDER_FIELDS) if (exp[f] !== undefined) (o as Record<string, unknown>)[f] = exp[f];
    expect.orders[label] = o;
  }
  for (const [label, counts] of Object.entries(e.count ?? {})) {
    if (!singles.has(label) && !groups.has(label)) {
      report(['expect', 'count', label], unknownLabel(label, 'label'), true);
      continue;
    }
    const size = groups.get(label) ?? 1;
    const total = Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
    if (total > size) report(['expect', 'count', label], `the counts add up to ${total} but "${label}" has ${size} order(s)`, true);
    expect.count[label] = counts;
  }
  const inv = skuMap(e.inventory, ['expect', 'inventory'], report, (v) => v);
  for (const [sku, n] of Object.entries(inv)) if (knownSku(sku, ['expect', 'inventory', keyOf(e.inventory, sku)])) expect.inventory[sku] = n;
  const movs = skuMap(e.movements, ['expect', 'movements'], report, (list, sku) =>
    list.map((m, i): MovementExpectation => {
      const order = m.order ?? null;
      if (order !== null && !singles.has(order) && !memberOk(order) && !lineLabels.has(order)) {
        report(['expect', 'movements', keyOf(e.movements, sku), i, 'order'], unknownLabel(order, 'order label'));
      }
      return { type: m.type as MovementExpectation['type'], qty: m.qty, order };
    }),
  );
  for (const [sku, list] of Object.entries(movs)) if (knownSku(sku, ['expect', 'movements', keyOf(e.movements, sku)])) expect.movements[sku] = list;

  return { file, name: raw.name, description: raw.description ?? null, settings: settingsOf(raw.settings), inventory, supplier, steps, expect };
}

/** The key as written in the file for a normalised SKU (for locating it). */
function keyOf(raw: Record<string, unknown> | undefined, sku: string): string {
  return Object.keys(raw ?? {}).find((k) => k.trim().toUpperCase() === sku) ?? sku;
}
