/**
 * Glossary of the simulator (docs/design.md §10, docs/scenarios.md)
 *
 * - **scenario**: one YAML file: opening stock, a supplier script, timed steps, expectations.
 * - **step**: something the outside world does at a virtual time `at` (ms from the start):
 *   create an order (or a burst of `count` orders), restock a SKU, or set its on-hand.
 * - **label**: the name a step gives its order (`a`); a burst `b` of N orders is a **group** whose
 *   members are labelled `b.1` … `b.N`.
 * - **outcome**: what the engine really did: every order's final state and timeline, the final
 *   stock and each SKU's ledger after the opening balance.
 * - **failure**: one expectation that differs from the outcome: its path (`orders.a.status`),
 *   the expected and the actual value.
 *
 * Every time in these types is milliseconds from the scenario's start, never epoch time.
 */
import type { SupplierScript } from '../domain/supplier-script.js';
import type { MovementType } from '../domain/inventory.js';
import type { FailureReason, OrderStatus } from '../domain/order.js';
import type { Settings } from '../domain/settings.js';

export interface OrderStep {
  kind: 'order';
  at: number;
  /** narration for `warehouse demo` (the step's `say`) */
  say?: string;
  /** the step's `id`; for a burst, the group label */
  label: string;
  sku: string;
  qty: number;
  /** a multi-line order's lines (docs/design.md §2.6), labelled `<label>/1`, `<label>/2`, …; null for a one-line order */
  lines: Array<{ sku: string; qty: number }> | null;
  /** null: one order labelled `label`; N: N orders labelled `label.1` … `label.N` */
  count: number | null;
}
export interface RestockStep {
  kind: 'restock';
  at: number;
  say?: string;
  sku: string;
  qty: number;
}
export interface SetStep {
  kind: 'set';
  at: number;
  say?: string;
  sku: string;
  onHand: number;
}
/** `cancel: { order: a }` or `fulfil: { order: a }` (docs/design.md §2.5): a person acts on an order made earlier */
export interface LifecycleStep {
  kind: 'cancel' | 'fulfil';
  at: number;
  say?: string;
  /** the label of a single order made by an earlier step */
  label: string;
}
export type Step = OrderStep | RestockStep | SetStep | LifecycleStep;

export interface OrderExpectation {
  status?: OrderStatus;
  supplierChecks?: number;
  failureReason?: FailureReason | null;
  /** ms from the start; null: not settled */
  settledAt?: number | null;
}

export interface MovementExpectation {
  type: MovementType;
  qty: number;
  /** an order label, or null for a step's restock or set */
  order: string | null;
}

export interface Expectations {
  /** by label: a single order's label, a member's (`b.3`), or a group's (applies to each member) */
  orders: Record<string, OrderExpectation>;
  /** by label: how many of the group's orders ended in each status */
  count: Record<string, Partial<Record<OrderStatus, number>>>;
  /** by SKU: final on-hand */
  inventory: Record<string, number>;
  /** by SKU: the ledger after the opening balance, in order */
  movements: Record<string, MovementExpectation[]>;
}

export interface Scenario {
  file: string;
  name: string;
  description: string | null;
  settings: Partial<Settings>;
  /** opening on-hand per SKU, written before the first step */
  inventory: Record<string, number>;
  supplier: SupplierScript;
  /** in time order (file order within one instant) */
  steps: Step[];
  expect: Expectations;
}

/** One entry of an order's timeline, `at` from the start. */
export interface SimEvent {
  at: number;
  label: string;
  type: string;
  data: Record<string, unknown>;
}

export interface OrderOutcome {
  label: string;
  /** the burst's label, or null for a single order */
  group: string | null;
  id: number;
  sku: string;
  qty: number;
  status: OrderStatus;
  supplierChecks: number;
  failureReason: FailureReason | null;
  createdAt: number;
  /** null while not final */
  settledAt: number | null;
  events: SimEvent[];
}

export interface MovementOutcome {
  at: number;
  type: MovementType;
  qty: number;
  order: string | null;
  onHandAfter: number;
}

/** A step as it was applied, for the timeline and the diagram. */
export interface AppliedStep {
  at: number;
  kind: Step['kind'];
  text: string;
}

export interface SupplierCallOutcome {
  at: number;
  kind: 'reserve' | 'status' | 'cancel';
  label: string | null;
  answer: string;
}

export interface Outcome {
  orders: OrderOutcome[];
  inventory: Record<string, number>;
  movements: Record<string, MovementOutcome[]>;
  steps: AppliedStep[];
  supplierCalls: SupplierCallOutcome[];
  /** virtual (or real) time the replay took, ms */
  endedAt: number;
  /**
   * With a teaching variant (`simulate --reserve-strategy naive`, `--break …`): the rules of
   * `warehouse check` and "one reservation at the supplier per order" that the run broke
   */
  violations?: { rule: string; message: string }[];
}

export interface Failure {
  path: string;
  expected: unknown;
  actual: unknown;
}

export interface ScenarioResult {
  file: string;
  name: string;
  passed: boolean;
  failures: Failure[];
  /** things worth knowing that do not fail the scenario (e.g. it checks nothing) */
  warnings: string[];
  outcome: Outcome;
}

/** A problem found in a scenario file, located in it (1-based line and column). */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export const formatProblem = (p: Problem) => `${p.file}:${p.line}:${p.col}: ${p.message}`;
