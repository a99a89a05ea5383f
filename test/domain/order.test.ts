import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { canTransition, isFinal, isSettled, ORDER_STATUSES, TRANSITIONS, transitionPairs } from '../../src/domain/order.js';
import { backoffDelay } from '../../src/domain/settings.js';
import { numberFromText, parseOrderInput, withThousands } from '../../src/domain/validation.js';

describe('the order state machine', () => {
  const legal = new Set([
    'pending>reserved',
    'pending>awaiting_restock',
    'pending>failed',
    'pending>cancelled',
    'pending>cancelling',
    'awaiting_restock>reserved',
    'awaiting_restock>failed',
    'awaiting_restock>cancelling',
    'cancelling>cancelled',
    'reserved>fulfilled',
    'reserved>cancelled',
    'reserved>expired',
  ]);

  for (const from of ORDER_STATUSES) {
    for (const to of ORDER_STATUSES) {
      const key = `${from}>${to}`;
      it(`${legal.has(key) ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        expect(canTransition(from, to)).toBe(legal.has(key));
      });
    }
  }

  it('lists exactly the twelve legal transitions of the state machine', () => {
    expect(
      transitionPairs()
        .map(([a, b]) => `${a}>${b}`)
        .sort(),
    ).toEqual([...legal].sort());
  });

  it('treats failed, cancelled, expired and fulfilled as final and nothing else', () => {
    expect(ORDER_STATUSES.filter(isFinal).sort()).toEqual(['cancelled', 'expired', 'failed', 'fulfilled']);
    expect(TRANSITIONS.fulfilled).toEqual([]);
  });

  it('counts an order settled once reserved or final: the reservation flow is over', () => {
    expect(ORDER_STATUSES.filter(isSettled).sort()).toEqual(['cancelled', 'expired', 'failed', 'fulfilled', 'reserved']);
  });
});

describe('order input validation', () => {
  it('trims and upper-cases the SKU', () => {
    expect(parseOrderInput(' widget-1 ', 3)).toEqual({ sku: 'WIDGET-1', qty: 3 });
  });

  const badSkus: unknown[] = ['', '   ', '-LEADING', 'has space', 'ÜMLAUT', 'A'.repeat(65), 42, null, undefined, ['A'], 'a/b'];
  for (const sku of badSkus) {
    it(`refuses sku ${JSON.stringify(sku) ?? 'undefined'} naming the field`, () => {
      const error = (() => {
        try {
          parseOrderInput(sku, 1);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('sku');
    });
  }

  const badQtys: unknown[] = [0, -1, 1.5, 1_000_001, '3', NaN, Infinity, null, undefined, true];
  for (const qty of badQtys) {
    it(`refuses qty ${String(qty)} naming the field`, () => {
      expect(() => parseOrderInput('A', qty)).toThrow(expect.objectContaining({ field: 'qty' }));
    });
  }

  it('accepts the bounds 1 and 1,000,000 and a 64-character SKU', () => {
    expect(parseOrderInput('A'.repeat(64), 1).qty).toBe(1);
    expect(parseOrderInput('a', 1_000_000).qty).toBe(1_000_000);
  });

  it('reads command-line numbers as plain digits only', () => {
    expect(numberFromText('qty', '30', 'rule')).toBe(30);
    for (const text of ['3.0', '1e3', '0x10', ' 3', '', 'three', '3abc']) {
      expect(() => numberFromText('qty', text, 'rule')).toThrow(ValidationError);
    }
  });
});

describe('backoff', () => {
  const settings = { backoffBaseMs: 1_000, backoffCapMs: 60_000 };
  it('doubles per attempt between half and all of the nominal delay', () => {
    expect(backoffDelay(1, settings, () => 0)).toBe(500);
    expect(backoffDelay(1, settings, () => 1)).toBe(1_000);
    expect(backoffDelay(3, settings, () => 1)).toBe(4_000);
  });
  it('never exceeds the cap', () => {
    expect(backoffDelay(30, settings, () => 1)).toBe(60_000);
  });
});

describe('withThousands', () => {
  it("writes a whole number as toLocaleString('en-US') does", () => {
    for (const n of [0, 7, 999, 1000, 12_345, 100_000, 999_999, 1_000_000, 25_000_000, 1_234_567_890, Number.MAX_SAFE_INTEGER])
      expect(withThousands(n), String(n)).toBe(n.toLocaleString('en-US'));
  });
});
