/**
 * Orders (落单, sales projects): products and quantities priced from the project's catalogue.
 * Money is whole minor units (分, cents), never floating point.
 */
export interface CatalogueItem {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export interface OrderLineInput {
  sku: string;
  quantity: number;
}

export interface PricedLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
}

export type PricedOrder =
  | { ok: true; lines: PricedLine[]; amountCents: number; currency: string }
  | { ok: false; problems: { line: number; message: string }[] };

/** Most of one product on one order line. */
export const MAX_QUANTITY = 10_000;

/**
 * Prices an order from the catalogue at the time of the call: every line an active product,
 * a whole quantity from 1 to 10,000, each product once, one currency. Every problem is reported.
 */
export function priceOrder(lines: readonly OrderLineInput[], catalogue: readonly CatalogueItem[]): PricedOrder {
  const bySku = new Map(catalogue.map((p) => [p.sku, p] as const));
  const problems: { line: number; message: string }[] = [];
  const priced: PricedLine[] = [];
  const seen = new Set<string>();
  if (lines.length === 0) problems.push({ line: 0, message: 'an order has at least one line' });
  lines.forEach((l, i) => {
    const p = bySku.get(l.sku);
    if (!p) return problems.push({ line: i + 1, message: `no product "${l.sku}" in the catalogue` });
    if (!p.active) return problems.push({ line: i + 1, message: `"${l.sku}" is no longer sold` });
    if (seen.has(l.sku))
      return problems.push({ line: i + 1, message: `"${l.sku}" is on two lines: give one quantity` });
    seen.add(l.sku);
    if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > MAX_QUANTITY)
      return problems.push({ line: i + 1, message: `quantity is a whole number from 1 to ${MAX_QUANTITY}` });
    priced.push({
      productId: p.id,
      sku: p.sku,
      name: p.name,
      quantity: l.quantity,
      unitPriceCents: p.priceCents,
      amountCents: p.priceCents * l.quantity,
    });
  });
  const currencies = new Set(priced.map((l) => bySku.get(l.sku)!.currency));
  if (currencies.size > 1)
    problems.push({ line: 0, message: `one order, one currency (got ${[...currencies].join(', ')})` });
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    lines: priced,
    amountCents: priced.reduce((s, l) => s + l.amountCents, 0),
    currency: [...currencies][0]!,
  };
}
