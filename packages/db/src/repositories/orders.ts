import type { OrderLineRow, OrderRow, OrdersStore, ProductRow } from '@outdial/engine/ports';
import type { Database } from '../database.ts';

const P = `id, project_id AS "projectId", sku, name, price_cents::float8 AS "priceCents", currency, active,
  created_at AS "createdAt", updated_at AS "updatedAt"`;
const O = `o.id, o.org_id AS "orgId", o.project_id AS "projectId", o.contact_id AS "contactId", o.attempt_id AS "attemptId",
  o.agent_user_id AS "agentUserId", o.amount_cents::float8 AS "amountCents", o.currency, o.created_at AS "createdAt",
  coalesce((SELECT json_agg(json_build_object('productId', l.product_id, 'sku', l.sku, 'name', l.name, 'quantity', l.quantity,
      'unitPriceCents', l.unit_price_cents, 'amountCents', l.amount_cents) ORDER BY l.line)
    FROM order_lines l WHERE l.order_id = o.id), '[]'::json) AS lines`;

/** Sales projects: the product catalogue and the orders taken on calls (落单). */
export class OrdersRepo implements OrdersStore {
  constructor(private readonly db: Database) {}

  products(orgId: string, projectId: string): Promise<ProductRow[]> {
    return this.db.query<ProductRow>(`SELECT ${P} FROM products WHERE org_id = $1 AND project_id = $2 ORDER BY sku`, [
      orgId,
      projectId,
    ]);
  }

  async getProduct(orgId: string, id: string): Promise<ProductRow | undefined> {
    const [row] = await this.db.query<ProductRow>(`SELECT ${P} FROM products WHERE org_id = $1 AND id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async createProduct(
    orgId: string,
    projectId: string,
    p: { sku: string; name: string; priceCents: number; currency: string },
  ): Promise<ProductRow | undefined> {
    const [row] = await this.db.query<ProductRow>(
      `INSERT INTO products (org_id, project_id, sku, name, price_cents, currency) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (project_id, sku) DO NOTHING RETURNING ${P}`,
      [orgId, projectId, p.sku, p.name, p.priceCents, p.currency],
    );
    return row;
  }

  async updateProduct(
    orgId: string,
    id: string,
    patch: { name?: string | undefined; priceCents?: number | undefined; active?: boolean | undefined },
  ): Promise<ProductRow | undefined> {
    const [row] = await this.db.query<ProductRow>(
      `UPDATE products SET name = coalesce($3, name), price_cents = coalesce($4, price_cents), active = coalesce($5, active),
              updated_at = now()
        WHERE org_id = $1 AND id = $2 RETURNING ${P}`,
      [orgId, id, patch.name ?? null, patch.priceCents ?? null, patch.active ?? null],
    );
    return row;
  }

  create(o: Omit<OrderRow, 'id'>): Promise<OrderRow | undefined> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string }>(
        `INSERT INTO orders (org_id, project_id, contact_id, attempt_id, agent_user_id, amount_cents, currency, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (attempt_id) DO NOTHING RETURNING id`,
        [o.orgId, o.projectId, o.contactId, o.attemptId, o.agentUserId, o.amountCents, o.currency, o.createdAt],
      );
      if (!row) return undefined;
      const lines: readonly OrderLineRow[] = o.lines;
      await tx.query(
        `INSERT INTO order_lines (order_id, line, product_id, sku, name, quantity, unit_price_cents, amount_cents)
         SELECT $1, l.n, l.product, l.sku, l.name, l.quantity, l.unit, l.amount
           FROM unnest($2::int[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[])
             AS l(n, product, sku, name, quantity, unit, amount)`,
        [
          row.id,
          lines.map((_l, i) => i + 1),
          lines.map((l) => l.productId),
          lines.map((l) => l.sku),
          lines.map((l) => l.name),
          lines.map((l) => l.quantity),
          lines.map((l) => l.unitPriceCents),
          lines.map((l) => l.amountCents),
        ],
      );
      const [created] = await tx.query<OrderRow>(`SELECT ${O} FROM orders o WHERE o.id = $1`, [row.id]);
      return created;
    });
  }

  async get(orgId: string, id: string): Promise<OrderRow | undefined> {
    const [row] = await this.db.query<OrderRow>(`SELECT ${O} FROM orders o WHERE o.org_id = $1 AND o.id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async forAttempt(attemptId: string): Promise<OrderRow | undefined> {
    const [row] = await this.db.query<OrderRow>(`SELECT ${O} FROM orders o WHERE o.attempt_id = $1`, [attemptId]);
    return row;
  }

  async list(
    orgId: string,
    q: {
      projectId?: string | undefined;
      agentUserId?: string | undefined;
      from?: Date | undefined;
      to?: Date | undefined;
      limit: number;
      offset: number;
    },
  ): Promise<{ items: OrderRow[]; total: number; amountCents: number }> {
    const where = `o.org_id = $1 AND ($2::uuid IS NULL OR o.project_id = $2) AND ($3::uuid IS NULL OR o.agent_user_id = $3)
      AND ($4::timestamptz IS NULL OR o.created_at >= $4) AND ($5::timestamptz IS NULL OR o.created_at < $5)`;
    const params = [orgId, q.projectId ?? null, q.agentUserId ?? null, q.from ?? null, q.to ?? null];
    const items = await this.db.query<OrderRow>(
      `SELECT ${O} FROM orders o WHERE ${where} ORDER BY o.created_at DESC, o.id LIMIT $6 OFFSET $7`,
      [...params, q.limit, q.offset],
    );
    const [t] = await this.db.query<{ n: number; amount: number }>(
      `SELECT count(*)::int AS n, coalesce(sum(o.amount_cents), 0)::float8 AS amount FROM orders o WHERE ${where}`,
      params,
    );
    return { items, total: t!.n, amountCents: t!.amount };
  }
}
