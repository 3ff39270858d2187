import type { DncHit, Repositories } from './ports/index.ts';
import { normalizePhone } from '@outdial/domain/phone';
import { invalid, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';
import type { Clock } from './ports/index.ts';
import type { PersonalData } from './pii.ts';

export interface DncAddResult {
  listId: string;
  added: number;
  /** The first {@link MAX_REJECTED_SHOWN} rejected inputs; `rejectedTotal` counts them all. */
  rejected: { input: string; code: string; message: string }[];
  rejectedTotal: number;
}

/** A 100,000-number request with every number wrong must not answer with 100,000 messages. */
export const MAX_REJECTED_SHOWN = 1000;
/** Normalising a number costs tens of microseconds: yield to the event loop between slices. */
const NORMALISE_SLICE = 500;

/** 勿扰名单: organisation-wide lists apply to every project; a project's own list to it alone. */
export class DncService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly pii: PersonalData,
  ) {}

  private async listFor(
    actor: Principal,
    projectCode: string | undefined,
  ): Promise<{ listId: string; projectId: string | null; region: string }> {
    if (!projectCode)
      return { listId: await this.repos.dnc.ensureList(actor.orgId, null, 'default'), projectId: null, region: 'CN' };
    const project = await this.repos.projects.getByCode(actor.orgId, projectCode);
    if (!project) throw notFound(`project "${projectCode}"`);
    return {
      listId: await this.repos.dnc.ensureList(actor.orgId, project.id, 'default'),
      projectId: project.id,
      region: project.defaultRegion,
    };
  }

  /**
   * Adds numbers in any format; each is normalised to E.164 first, and the ones that are
   * not numbers are reported back rather than silently dropped.
   */
  async add(
    actor: Principal | null,
    orgId: string,
    req: {
      phones: string[];
      projectCode?: string | undefined;
      reason?: string | undefined;
      expiresAt?: Date | null | undefined;
      source?: string | undefined;
      region?: string | undefined;
    },
  ): Promise<DncAddResult> {
    if (actor) assertCan(actor, 'dnc:manage');
    const principal = actor ?? ({ orgId } as Principal);
    const { listId, region } = await this.listFor(principal, req.projectCode);
    if (req.expiresAt && req.expiresAt.getTime() <= this.clock.now().getTime())
      throw invalid('expiresAt is in the past', { field: 'expiresAt' });
    const rejected: DncAddResult['rejected'] = [];
    const entries: { phone: string; reason: string; source: string; expiresAt: Date | null }[] = [];
    const seen = new Set<string>();
    let rejectedTotal = 0;
    for (const [i, input] of req.phones.entries()) {
      if (i > 0 && i % NORMALISE_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const n = normalizePhone(input, req.region ?? region);
      if (!n.ok) {
        rejectedTotal++;
        if (rejected.length < MAX_REJECTED_SHOWN) rejected.push({ input, code: n.code, message: n.message });
        continue;
      }
      if (seen.has(n.e164)) continue;
      seen.add(n.e164);
      entries.push({
        phone: n.e164,
        reason: req.reason ?? '',
        source: req.source ?? 'manual',
        expiresAt: req.expiresAt ?? null,
      });
    }
    const added = await this.repos.transaction(async (tx) => {
      let n = 0;
      for (let i = 0; i < entries.length; i += 5000)
        n += await tx.dnc.addEntries(listId, entries.slice(i, i + 5000), actor?.userId ?? null);
      await tx.audit.append({
        orgId,
        actorUserId: actor?.userId ?? null,
        action: 'dnc.added',
        subjectType: 'dnc_list',
        subjectId: listId,
        details: { added: n, rejected: rejectedTotal, source: req.source ?? 'manual' },
      });
      return n;
    });
    return { listId, added, rejected, rejectedTotal };
  }

  async remove(actor: Principal, listId: string, phone: string): Promise<void> {
    assertCan(actor, 'dnc:manage');
    const list = await this.repos.dnc.getList(actor.orgId, listId);
    if (!list) throw notFound('do-not-call list');
    // A national-format number is read in the region of the list's project (organisation lists: CN).
    const project = list.projectId ? await this.repos.projects.getById(actor.orgId, list.projectId) : undefined;
    const n = normalizePhone(phone, project?.defaultRegion ?? 'CN');
    await this.repos.transaction(async (tx) => {
      if (!(await tx.dnc.removeEntry(listId, n.ok ? n.e164 : phone))) throw notFound('do-not-call entry');
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'dnc.removed',
        subjectType: 'dnc_list',
        subjectId: listId,
        details: { phone: n.ok ? n.e164 : phone },
      });
    });
  }

  async lists(actor: Principal) {
    assertCan(actor, 'dnc:read');
    return this.repos.dnc.listLists(actor.orgId);
  }

  /** A list's entries; numbers masked unless the reader may see them (then the view is audited). */
  async entries(
    actor: Principal,
    listId: string,
    q: { limit: number; offset: number },
    meta: { ip?: string | undefined } = {},
  ) {
    assertCan(actor, 'dnc:read');
    if (!(await this.repos.dnc.getList(actor.orgId, listId))) throw notFound('do-not-call list');
    const { items, total } = await this.repos.dnc.entries(listId, q);
    const unmasked = this.pii.unmasked(actor);
    if (unmasked && items.length > 0)
      await this.pii.shown(actor, {
        action: 'dnc.unmasked_view',
        subjectType: 'dnc_list',
        subjectId: listId,
        details: { count: items.length },
        ip: meta.ip,
      });
    return { items: items.map((e) => ({ ...e, phone: this.pii.phone(unmasked, e.phone), masked: !unmasked })), total };
  }

  async check(
    actor: Principal,
    phone: string,
    projectCode?: string,
    meta: { ip?: string | undefined } = {},
  ): Promise<{ phone: string; blocked: boolean; hits: DncHit[] }> {
    assertCan(actor, 'dnc:read');
    let projectId: string | null = null;
    let region = 'CN';
    if (projectCode) {
      const p = await this.repos.projects.getByCode(actor.orgId, projectCode);
      if (!p) throw notFound(`project "${projectCode}"`);
      projectId = p.id;
      region = p.defaultRegion;
    }
    const n = normalizePhone(phone, region);
    if (!n.ok) throw invalid(n.message, { field: 'phone', code: n.code });
    // For a reader of masked numbers the answer says whether a number they may not see is listed.
    if (!this.pii.unmasked(actor)) await this.pii.maskedLookup(actor, 'dnc.check', meta.ip);
    const hits = await this.repos.dnc.check(actor.orgId, projectId, n.e164, this.clock.now());
    return { phone: n.e164, blocked: hits.length > 0, hits };
  }
}
