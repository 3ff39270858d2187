import type { ContactQuery, ContactRow, Repositories, Role } from '@outdial/db';
import { can, mayUnmask } from '@outdial/domain/access';
import { maskPhone } from '@outdial/domain/phone';
import { forbidden, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';

/** A contact as shown to a person: numbers masked unless the role may see them. */
export interface ContactView extends Omit<ContactRow, 'phone' | 'phones'> {
  phone: string;
  phones: string[];
  masked: boolean;
}

export function present(c: ContactRow, unmasked: boolean): ContactView {
  return unmasked
    ? { ...c, masked: false }
    : { ...c, phone: maskPhone(c.phone), phones: c.phones.map(maskPhone), masked: true };
}

export class ContactsService {
  constructor(
    private readonly repos: Repositories,
    private readonly unmaskRoles: readonly Role[],
  ) {}

  /** Agents see only contacts with a task assigned to them; QA and above see the organisation's. */
  private scope(p: Principal): string | undefined {
    if (can(p.role, 'contacts:read_all')) return undefined;
    if (can(p.role, 'tasks:read_own')) return p.userId;
    throw forbidden();
  }

  async list(p: Principal, q: Omit<ContactQuery, 'assigneeUserId'>, meta: { ip?: string | undefined } = {}) {
    const { items, total } = await this.repos.contacts.list(p.orgId, { ...q, assigneeUserId: this.scope(p) });
    const unmasked = mayUnmask(p.role, this.unmaskRoles);
    if (unmasked && items.length > 0) {
      await this.repos.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: 'contacts.unmasked_view',
        subjectType: 'contact',
        details: { count: items.length, contactIds: items.slice(0, 50).map((c) => c.id), query: q },
        ip: meta.ip,
      });
    }
    return { items: items.map((c) => present(c, unmasked)), total };
  }

  async get(p: Principal, id: string, meta: { ip?: string | undefined } = {}): Promise<ContactView> {
    const scope = this.scope(p);
    let c = await this.repos.contacts.get(p.orgId, id, scope);
    // An agent also sees the contacts whose calls were routed to them (the screen pop, the next step).
    if (!c && scope && can(p.role, 'calls:handle') && (await this.repos.attempts.handledBy(id, p.userId)))
      c = await this.repos.contacts.get(p.orgId, id);
    if (!c) throw notFound('contact');
    const unmasked = mayUnmask(p.role, this.unmaskRoles);
    if (unmasked)
      await this.repos.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: 'contacts.unmasked_view',
        subjectType: 'contact',
        subjectId: id,
        details: { count: 1 },
        ip: meta.ip,
      });
    return present(c, unmasked);
  }

  /**
   * The project's contacts as CSV (UTF-8 with BOM for Excel), streamed page by page.
   * Numbers are full only for roles that may see them; every export is audited (PIPL).
   */
  async *exportCsv(
    p: Principal,
    project: { id: string; code: string; fields: readonly { key: string; labelZh: string }[] },
    q: { status?: ContactQuery['status']; tag?: string | undefined },
    meta: { ip?: string | undefined } = {},
  ): AsyncGenerator<string> {
    assertCan(p, 'contacts:export');
    const unmasked = mayUnmask(p.role, this.unmaskRoles);
    const { total } = await this.repos.contacts.list(p.orgId, { projectId: project.id, ...q, limit: 1, offset: 0 });
    await this.repos.audit.append({
      orgId: p.orgId,
      actorUserId: p.userId,
      action: 'contacts.exported',
      subjectType: 'project',
      subjectId: project.id,
      details: { project: project.code, rows: total, unmasked, filter: q },
      ip: meta.ip,
    });
    const esc = (v: unknown) => {
      const s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    yield (
      '\ufeff' +
      [
        'id',
        'name',
        'phone',
        'phones',
        'tags',
        'status',
        'attempts',
        'timezone',
        'region',
        'external_id',
        ...project.fields.map((f) => f.labelZh),
      ]
        .map(esc)
        .join(',') +
      '\r\n'
    );
    const page = 5000;
    for (let offset = 0; ; offset += page) {
      const { items } = await this.repos.contacts.list(p.orgId, { projectId: project.id, ...q, limit: page, offset });
      if (items.length === 0) break;
      let chunk = '';
      for (const row of items) {
        const c = present(row, unmasked);
        chunk +=
          [
            c.id,
            c.name,
            c.phone,
            c.phones.join(';'),
            c.tags.join('|'),
            c.status,
            c.attempts,
            c.timezone,
            c.region,
            c.externalId,
            ...project.fields.map((f) => c.custom[f.key]),
          ]
            .map(esc)
            .join(',') + '\r\n';
      }
      yield chunk;
      if (items.length < page) break;
    }
  }
}
