/** Inventory use cases: stock counts, restocks and the ledger. */
import { NotFoundError } from '../domain/errors.js';
import type { InventoryItem, Movement } from '../domain/inventory.js';
import { parseOnHand, parseQty, parseSku } from '../domain/validation.js';
import type { Clock } from '../ports/clock.js';
import type { IdempotentResponse, Store } from '../ports/store.js';

export interface InventoryService {
  set(sku: unknown, onHand: unknown): Promise<InventoryItem>;
  /** a restock; with `idempotent`, its response is stored in the restock's transaction */
  add(sku: unknown, qty: unknown, idempotent?: IdempotentResponse<InventoryItem>): Promise<InventoryItem>;
  get(sku: unknown): Promise<InventoryItem>;
  list(): Promise<InventoryItem[]>;
  /** the SKU's whole ledger, oldest first; NotFoundError for a SKU never seen */
  movements(sku: unknown): Promise<Movement[]>;
  /** one page of the ledger: at most `limit` movements after `cursor`, and the cursor of the next page (null: none) */
  movementPage(sku: unknown, page: { limit: number; cursor?: number }): Promise<MovementPage>;
}

export interface MovementPage {
  movements: Movement[];
  nextCursor: number | null;
}

export function createInventoryService({ store, clock }: { store: Store; clock: Clock }): InventoryService {
  const known = async (sku: string) => {
    const item = await store.getInventory(sku);
    if (!item) throw new NotFoundError('sku', sku, 'no stock was ever recorded for it; see `warehouse inventory list`');
    return item;
  };
  return {
    set: async (sku, onHand) => store.setOnHand(parseSku(sku), parseOnHand(onHand), clock.now()),
    add: async (sku, qty, idempotent) => store.addStock(parseSku(sku), parseQty(qty), clock.now(), idempotent),
    get: async (sku) => known(parseSku(sku)),
    list: () => store.listInventory(),
    async movements(sku) {
      const normal = parseSku(sku);
      await known(normal);
      return store.listMovements(normal);
    },
    async movementPage(sku, { limit, cursor }) {
      const normal = parseSku(sku);
      await known(normal);
      // one more than asked for says whether a next page exists
      const rows = await store.listMovements(normal, { limit: limit + 1, cursor });
      const movements = rows.slice(0, limit);
      return { movements, nextCursor: rows.length > limit ? movements.at(-1)!.id : null };
    },
  };
}
