import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/domain/errors.js';
import { normalise } from '../../src/explore/shrink.js';
import { decodeToken, encodeToken } from '../../src/explore/token.js';

describe('replay tokens', () => {
  it('carry the variant, the crash point and the choices there and back', () => {
    const variant = { strategy: 'naive' as const, breaks: ['supplier-key', 'outbox'] as const };
    const schedule = { choices: [0, 1, 2, 11], crash: 7 };
    const token = encodeToken({ ...variant, breaks: [...variant.breaks] }, schedule);
    expect(token).toBe('v1.naive.outbox+supplier-key.7.012b');
    expect(decodeToken(token)).toEqual({ variant: { strategy: 'naive', breaks: ['outbox', 'supplier-key'] }, schedule });
    expect(decodeToken(encodeToken({ strategy: 'atomic', breaks: [] }, { choices: [], crash: null }))).toEqual({
      variant: { strategy: 'atomic', breaks: [] },
      schedule: { choices: [], crash: null },
    });
  });

  it.each(['', 'v2.naive.-.-.-', 'v1.reckless.-.-.-', 'v1.naive.locks.-.-', 'v1.naive.-.0.-', 'v1.naive.-.-.0_1'])('refuses %j as a usage error', (token) => {
    expect(() => decodeToken(token)).toThrow(UsageError);
  });
});

describe('normalise', () => {
  it('keeps the choices a run used, each within its step count, without trailing first-come ones', () => {
    expect(normalise([3, 5, 0, 4], [2, 3, 2])).toEqual([1, 2]);
    expect(normalise([], [2, 2])).toEqual([]);
  });
});
