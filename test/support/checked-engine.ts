/**
 * Engines on fresh databases whose invariants (`warehouse check`'s rules) are checked after each
 * test: call `checkedEngines()` at a test file's top level, then `engine(settings, script)`.
 */
import { afterEach, expect } from 'vitest';
import type { SupplierScript } from '../../src/domain/supplier-script.js';
import type { Warehouse } from '../../src/wiring/warehouse.js';
import { freshDatabase, invariantsOf, testWarehouse } from '../helpers.js';

export function checkedEngines() {
  let open: Array<{ w: Warehouse; file: string }> = [];
  afterEach(async () => {
    for (const { w, file } of open) {
      await w.close();
      expect(await invariantsOf(file)).toEqual([]);
    }
    open = [];
  });
  return async function engine(settings = {}, script: SupplierScript = {}): Promise<Warehouse> {
    const file = freshDatabase();
    const w = await testWarehouse({ db: file, supplierScript: script, settings });
    open.push({ w, file });
    return w;
  };
}
