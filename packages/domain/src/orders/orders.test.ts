import { describe, expect, it } from 'vitest';
import { priceOrder, type CatalogueItem } from './index.ts';

const catalogue: CatalogueItem[] = [
  { id: 'p1', sku: 'CAR-BASIC', name: '交强险', priceCents: 95_000, currency: 'CNY', active: true },
  { id: 'p2', sku: 'CAR-PLUS', name: '商业险', priceCents: 312_050, currency: 'CNY', active: true },
  { id: 'p3', sku: 'OLD', name: '旧险种', priceCents: 100, currency: 'CNY', active: false },
  { id: 'p4', sku: 'USD', name: 'Travel', priceCents: 4_999, currency: 'USD', active: true },
];

describe('orders', () => {
  it('prices lines from the catalogue in whole cents', () => {
    expect(
      priceOrder(
        [
          { sku: 'CAR-BASIC', quantity: 1 },
          { sku: 'CAR-PLUS', quantity: 3 },
        ],
        catalogue,
      ),
    ).toEqual({
      ok: true,
      currency: 'CNY',
      amountCents: 95_000 + 3 * 312_050,
      lines: [
        { productId: 'p1', sku: 'CAR-BASIC', name: '交强险', quantity: 1, unitPriceCents: 95_000, amountCents: 95_000 },
        {
          productId: 'p2',
          sku: 'CAR-PLUS',
          name: '商业险',
          quantity: 3,
          unitPriceCents: 312_050,
          amountCents: 936_150,
        },
      ],
    });
  });

  it('names every wrong line', () => {
    const r = priceOrder(
      [
        { sku: 'NOPE', quantity: 1 },
        { sku: 'OLD', quantity: 1 },
        { sku: 'CAR-BASIC', quantity: 0 },
        { sku: 'CAR-PLUS', quantity: 1.5 },
        { sku: 'CAR-PLUS', quantity: 1 },
      ],
      catalogue,
    );
    expect(r.ok ? [] : r.problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5]);
    expect(priceOrder([], catalogue)).toMatchObject({ ok: false });
    expect(
      priceOrder(
        [
          { sku: 'CAR-BASIC', quantity: 1 },
          { sku: 'USD', quantity: 1 },
        ],
        catalogue,
      ),
    ).toMatchObject({
      ok: false,
      problems: [{ line: 0, message: expect.stringContaining('one currency') as string }],
    });
  });
});
