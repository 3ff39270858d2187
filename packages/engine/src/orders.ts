import { can } from '@outdial/domain/access';
import type { OrderRow, ProductRow, Repositories } from './ports/index.ts';
import { assertCan, type Principal } from './auth.ts';
import { AppError, notFound } from './errors.ts';

/** Sales projects: the catalogue (configuration, audited) and the orders taken on calls (agents see their own). */
export class OrdersService {
  constructor(private readonly repos: Repositories) {}

  private async project(actor: Principal, code: string) {
    const p = await this.repos.projects.getByCode(actor.orgId, code);
    if (!p) throw notFound(`project "${code}"`);
    return p;
  }

  async products(actor: Principal, projectCode: string): Promise<ProductRow[]> {
    assertCan(actor, 'projects:read');
    return this.repos.orders.products(actor.orgId, (await this.project(actor, projectCode)).id);
  }

  async createProduct(
    actor: Principal,
    projectCode: string,
    p: { sku: string; name: string; priceCents: number; currency?: string | undefined },
  ): Promise<ProductRow> {
    assertCan(actor, 'scripts:manage');
    const project = await this.project(actor, projectCode);
    return this.repos.transaction(async (tx) => {
      const row = await tx.orders.createProduct(actor.orgId, project.id, { ...p, currency: p.currency ?? 'CNY' });
      if (!row) throw new AppError('conflict', `the project has a product "${p.sku}"`, { field: 'sku' });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'product.created',
        subjectType: 'product',
        subjectId: row.id,
        details: { project: project.code, sku: p.sku, priceCents: p.priceCents },
      });
      return row;
    });
  }

  async updateProduct(
    actor: Principal,
    id: string,
    patch: { name?: string | undefined; priceCents?: number | undefined; active?: boolean | undefined },
  ): Promise<ProductRow> {
    assertCan(actor, 'scripts:manage');
    return this.repos.transaction(async (tx) => {
      const row = await tx.orders.updateProduct(actor.orgId, id, patch);
      if (!row) throw notFound('product');
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'product.updated',
        subjectType: 'product',
        subjectId: id,
        details: { ...patch },
      });
      return row;
    });
  }

  /** Agents see the orders they took; roles that read every contact see the organisation's. */
  private scope(actor: Principal): string | undefined {
    if (can(actor.role, 'contacts:read_all')) return undefined;
    assertCan(actor, 'calls:handle');
    return actor.userId;
  }

  async list(
    actor: Principal,
    q: {
      projectCode?: string | undefined;
      from?: Date | undefined;
      to?: Date | undefined;
      limit: number;
      offset: number;
    },
  ) {
    const agentUserId = this.scope(actor);
    const projectId = q.projectCode ? (await this.project(actor, q.projectCode)).id : undefined;
    return this.repos.orders.list(actor.orgId, {
      projectId,
      agentUserId,
      from: q.from,
      to: q.to,
      limit: q.limit,
      offset: q.offset,
    });
  }

  async get(actor: Principal, id: string): Promise<OrderRow> {
    const agentUserId = this.scope(actor);
    const o = await this.repos.orders.get(actor.orgId, id);
    if (!o || (agentUserId && o.agentUserId !== agentUserId)) throw notFound('order');
    return o;
  }
}
