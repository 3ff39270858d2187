import { systemClock, type Clock, type ContactQuery, type ContactRow, type Repositories } from './ports/index.ts';
import { can } from '@outdial/domain/access';
import { normalizePhone } from '@outdial/domain/phone';
import { forbidden, invalid, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';
import { csvLine } from './csv.ts';
import type { PersonalData } from './pii.ts';

/** A contact as shown to a person: numbers masked unless the role may see them. */
export interface ContactView extends Omit<ContactRow, 'phone' | 'phones'> {
  phone: string;
  phones: string[];
  masked: boolean;
}

export function present(c: ContactRow, unmasked: boolean, pii: PersonalData): ContactView {
  return unmasked
    ? { ...c, masked: false }
    : { ...c, phone: pii.phone(false, c.phone), phones: c.phones.map((n) => pii.phone(false, n)), masked: true };
}

export interface ContactListQuery {
  status?: ContactQuery['status'];
  tag?: string | undefined;
  importId?: string | undefined;
  /** A name substring or a number; see `search`. */
  q?: string | undefined;
  limit: number;
  offset: number;
}

/** A callback not placed within this long after its time is missed (shown to supervisors to hand on). */
export const MISSED_AFTER_MS = 15 * 60_000;

/** Looks like a phone number (digits with the usual separators), not a name. */
const NUMBER_LIKE = /^[\d\s+\-().]+$/;

export class ContactsService {
  constructor(
    private readonly repos: Repositories,
    private readonly pii: PersonalData,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Agents see only contacts with a task assigned to them; QA and above see the organisation's. */
  private scope(p: Principal): string | undefined {
    if (can(p.role, 'contacts:read_all')) return undefined;
    if (can(p.role, 'tasks:read_own')) return p.userId;
    throw forbidden();
  }

  private async project(p: Principal, code: string) {
    const project = await this.repos.projects.getByCode(p.orgId, code);
    if (!project) throw notFound(`project "${code}"`);
    return project;
  }

  /**
   * What `q` searches. A name substring for everyone. A number: readers who see full numbers may
   * search by any part of it (audited); readers who see masked numbers only by the complete
   * number — otherwise trying the hidden digits one by one would unmask it in a few requests.
   */
  private search(q: string | undefined, unmasked: boolean, region: string): Partial<ContactQuery> {
    const text = q?.trim();
    if (!text) return {};
    const digits = text.replace(/\D/g, '');
    if (!NUMBER_LIKE.test(text) || digits.length < 4) return { name: text };
    if (unmasked) return { phoneContains: digits };
    const n = normalizePhone(text, region);
    if (!n.ok)
      throw invalid('your role sees masked numbers, so it can search by a complete phone number only', {
        field: 'q',
        reason: 'partial_number_search_not_allowed',
      });
    return { phone: n.e164 };
  }

  async list(p: Principal, projectCode: string, q: ContactListQuery, meta: { ip?: string | undefined } = {}) {
    const scope = this.scope(p);
    const project = await this.project(p, projectCode);
    const unmasked = this.pii.unmasked(p);
    const search = this.search(q.q, unmasked, project.defaultRegion);
    if (!unmasked && search.phone !== undefined) await this.pii.maskedLookup(p, 'contacts.search', meta.ip);
    const { items, total } = await this.repos.contacts.list(p.orgId, {
      projectId: project.id,
      status: q.status,
      tag: q.tag,
      importId: q.importId,
      ...search,
      assigneeUserId: scope,
      limit: q.limit,
      offset: q.offset,
    });
    if (unmasked && (items.length > 0 || search.phoneContains !== undefined)) {
      await this.pii.shown(p, {
        action: search.phoneContains !== undefined ? 'contacts.number_search' : 'contacts.unmasked_view',
        subjectType: 'project',
        subjectId: project.id,
        details: {
          count: items.length,
          contactIds: items.slice(0, 50).map((c) => c.id),
          query: { status: q.status, tag: q.tag, importId: q.importId, q: q.q },
        },
        ip: meta.ip,
      });
    }
    return { items: items.map((c) => present(c, unmasked, this.pii)), total };
  }

  async get(p: Principal, id: string, meta: { ip?: string | undefined } = {}): Promise<ContactView> {
    const scope = this.scope(p);
    let c = await this.repos.contacts.get(p.orgId, id, scope);
    // An agent also sees the contacts whose calls were routed to them (the screen pop, the next step).
    if (!c && scope && can(p.role, 'calls:handle') && (await this.repos.attempts.handledBy(id, p.userId)))
      c = await this.repos.contacts.get(p.orgId, id);
    if (!c) throw notFound('contact');
    const unmasked = this.pii.unmasked(p);
    if (unmasked)
      await this.pii.shown(p, {
        action: 'contacts.unmasked_view',
        subjectType: 'contact',
        subjectId: id,
        details: { count: 1 },
        ip: meta.ip,
      });
    return present(c, unmasked, this.pii);
  }

  /**
   * A contact's earlier attempts and dispositions, newest first: for whoever may read the
   * contact (the same scope as `get`: agents their own contacts and the calls routed to them).
   */
  async history(p: Principal, id: string) {
    const scope = this.scope(p);
    let c = await this.repos.contacts.get(p.orgId, id, scope);
    if (!c && scope && can(p.role, 'calls:handle') && (await this.repos.attempts.handledBy(id, p.userId)))
      c = await this.repos.contacts.get(p.orgId, id);
    if (!c) throw notFound('contact');
    const [attempts, dispositions] = await Promise.all([
      this.repos.attempts.history([c.id]),
      this.repos.dispositions.forContact(c.id),
    ]);
    return {
      attempts: attempts
        .map((a) => ({ id: a.id, placedAt: a.placedAt, outcome: a.outcome }))
        .sort((a, b) => b.placedAt.getTime() - a.placedAt.getTime()),
      dispositions: dispositions
        .map((d) => ({
          id: d.id,
          attemptId: d.attemptId,
          agentUserId: d.agentUserId,
          code: d.code,
          notes: d.notes,
          callbackAt: d.callbackAt,
          createdAt: d.createdAt,
        }))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()),
    };
  }

  /**
   * Contacts waiting for a callback, earliest first. Agents see the callbacks they own;
   * supervisors any, or one owner's. `missed`: due more than MISSED_AFTER_MS ago and still not
   * called (what a supervisor must hand to someone else).
   */
  async callbacks(
    p: Principal,
    q: {
      projectCode?: string | undefined;
      missed?: boolean | undefined;
      mine?: boolean | undefined;
      limit: number;
      offset: number;
    },
    meta: { ip?: string | undefined } = {},
  ) {
    const all = can(p.role, 'contacts:read_all');
    if (!all) assertCan(p, 'calls:handle');
    const projectId = q.projectCode ? (await this.project(p, q.projectCode)).id : undefined;
    const missedBefore = new Date(this.clock.now().getTime() - MISSED_AFTER_MS);
    const { items, total } = await this.repos.contacts.callbacks(p.orgId, {
      projectId,
      ownerUserId: !all || q.mine ? p.userId : undefined,
      dueBefore: q.missed ? missedBefore : undefined,
      limit: q.limit,
      offset: q.offset,
    });
    const unmasked = this.pii.unmasked(p);
    if (unmasked && items.length > 0)
      await this.pii.shown(p, {
        action: 'contacts.unmasked_view',
        subjectType: 'callbacks',
        details: { count: items.length, contactIds: items.slice(0, 50).map((c) => c.id) },
        ip: meta.ip,
      });
    return {
      items: items.map((c) => ({
        contact: present(c, unmasked, this.pii),
        callbackAt: c.callbackAt!,
        owner: c.callbackOwner,
        missed: c.callbackAt!.getTime() < missedBefore.getTime(),
      })),
      total,
    };
  }

  /**
   * The project's contacts as CSV (UTF-8 with BOM for Excel), streamed page by page.
   * Numbers are full only for roles that may see them; every export is audited (PIPL).
   */
  async *exportCsv(
    p: Principal,
    projectCode: string,
    q: { status?: ContactQuery['status']; tag?: string | undefined },
    meta: { ip?: string | undefined } = {},
  ): AsyncGenerator<string> {
    assertCan(p, 'contacts:export');
    const project = await this.project(p, projectCode);
    const unmasked = this.pii.unmasked(p);
    const { total } = await this.repos.contacts.list(p.orgId, { projectId: project.id, ...q, limit: 1, offset: 0 });
    await this.pii.shown(p, {
      action: 'contacts.exported',
      subjectType: 'project',
      subjectId: project.id,
      details: { project: project.code, rows: total, unmasked, filter: q },
      ip: meta.ip,
    });
    const fields = project.fields;
    yield (
      '\ufeff' +
      csvLine([
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
        ...fields.map((f) => f.labelZh),
      ])
    );
    const page = 5000;
    for (let after: string | null = null; ;) {
      const items = await this.repos.contacts.pageAfter(p.orgId, { projectId: project.id, ...q }, after, page);
      if (items.length === 0) break;
      after = items[items.length - 1]!.id;
      let chunk = '';
      for (const row of items) {
        const c = present(row, unmasked, this.pii);
        chunk += csvLine([
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
          ...fields.map((f) => c.custom[f.key]),
        ]);
      }
      yield chunk;
      if (items.length < page) break;
    }
  }
}
