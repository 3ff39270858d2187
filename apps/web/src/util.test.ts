import { describe, expect, it } from 'vitest';
import { duration } from './util.ts';

describe('duration', () => {
  it('formats minutes and hours', () => {
    expect(duration(0)).toBe('00:00');
    expect(duration(75_000)).toBe('01:15');
    expect(duration(3_700_000)).toBe('1:01:40');
    expect(duration(-5)).toBe('00:00');
  });
});
