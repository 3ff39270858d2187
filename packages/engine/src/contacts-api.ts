import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { can } from '@outdial/domain/access';
import { coerceFieldValue, type FieldValue } from '@outdial/domain/fields';
import type { ContactRow, Repositories } from './ports/index.ts';
import type { Clock } from './ports/index.ts';
import { assertCan, type Principal } from './auth.ts';
import { present, type ContactView } from './contacts.ts';
import { AppError, invalid, notFound } from './errors.ts';
import type { ImportService } from './imports.ts';
import type { PersonalData } from './pii.ts';

/** A contact as a business system sends it (系统对接). */
export interface ContactInput {
  phone: string;
  phones?: string[] | undefined;
  name?: string | undefined;
  tags?: string[] | undefined;
  timezone?: string | undefined;
  region?: string | undefined;
  externalId?: string | undefined;
  custom?: Record<string, string | number | boolean | null> | undefined;
}

/** One row's verdict, as a file import gives it: created, or why not. */
export interface ContactVerdict {
  index: number;
  outcome: 'created' | 'invalid' | 'duplicate_in_batch' | 'duplicate_existing' | 'dnc';
  contactId: string | null;
  code: string | null;
  message: string | null;
}

export const MAX_BATCH = 1000;
const MAX_TAGS = 50;
const MAX_TAG = 50;

/** A CSV cell, quoted: the importer reads it back exactly (no spreadsheet neutralising here: nothing opens this file but the importer). */
const cell = (v: string) => `"${v.replace(/"/g, '""')}"`;

/**
 * Contacts by API (系统对接): created one by one or in batches of up to 1,000 through the import
 * pipeline itself — the same normalising, validation, de-duplication against the project and the
 * do-not-call lists, the same repository and project lock (ADR 0003, ADR 0007) — with a verdict per
 * row; fields and tags updated (an agent only on the contact they are talking to); lookup by the
 * business system's own id.
 */
export class ContactsApiService {
  constructor(
    private readonly repos: Repositories,
    private readonly imports: ImportService,
    private readonly pii: PersonalData,
    private readonly clock: Clock,
  ) {}

  private async project(actor: Principal, code: string) {
    const p = await this.repos.projects.getByCode(actor.orgId, code);
    if (!p) throw notFound(`project "${code}"`);
    return p;
  }

  /** Creates contacts; every row gets a verdict. The batch is one import (its list is `api-…`). */
  async create(
    actor: Principal,
    projectCode: string,
    rows: readonly ContactInput[],
  ): Promise<{ importId: string; created: number; verdicts: ContactVerdict[] }> {
    assertCan(actor, 'contacts:import');
    if (rows.length === 0 || rows.length > MAX_BATCH)
      throw invalid(`a batch holds 1 to ${MAX_BATCH} contacts (got ${rows.length})`, { field: 'contacts' });
    const project = await this.project(actor, projectCode);
    const keys = project.fields.map((f) => f.key);
    const unknown = [...new Set(rows.flatMap((r) => Object.keys(r.custom ?? {})))].filter((k) => !keys.includes(k));
    if (unknown.length)
      throw invalid(`the project has no field ${unknown.map((k) => `"${k}"`).join(', ')}`, {
        field: 'custom',
        allowed: keys,
      });
    const columns = ['_row', 'phone', 'phones', 'name', 'tags', 'timezone', 'region', 'external_id', ...keys];
    const text = (v: string | number | boolean | null | undefined) =>
      v === null || v === undefined ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
    const lines = [columns.map(cell).join(',')];
    rows.forEach((r, i) =>
      lines.push(
        [
          String(i),
          r.phone,
          (r.phones ?? []).join(';'),
          text(r.name),
          (r.tags ?? []).join('|'),
          text(r.timezone),
          text(r.region),
          text(r.externalId),
          ...keys.map((k) => text(r.custom?.[k])),
        ]
          .map(cell)
          .join(','),
      ),
    );
    const dir = await mkdtemp(join(tmpdir(), 'outdial-api-'));
    const file = join(dir, 'contacts.csv');
    try {
      await writeFile(file, lines.join('\r\n') + '\r\n', 'utf8');
      const mapping = Object.fromEntries(columns.filter((c) => c !== '_row').map((c) => [c, c]));
      const { import: imp, done } = await this.imports.start(actor, {
        projectCode,
        path: file,
        filename: `api-${this.clock.now().toISOString().slice(0, 19)}.csv`,
        mapping,
        encoding: 'utf8',
      });
      const result = await done;
      if (result.status !== 'completed')
        throw new AppError(
          'validation_failed',
          `the contacts could not be created: ${result.error?.message ?? 'unknown'}`,
          {
            reason: result.error?.code,
          },
        );
      const rejected = new Map<number, ContactVerdict>();
      for (let offset = 0; ; offset += 1000) {
        const page = await this.repos.imports.rejects(imp.id, { limit: 1000, offset });
        for (const x of page.items) {
          // Rows set aside at parse time keep their cells (and our row column); rows the merge set
          // aside (already in the project, do-not-call) are known by their line: the header is line 1.
          const index = x.raw?.['_row'] !== undefined ? Number(x.raw['_row']) : x.rowNumber - 2;
          rejected.set(index, {
            index,
            outcome: x.outcome === 'duplicate_in_file' ? 'duplicate_in_batch' : x.outcome,
            contactId: null,
            code: x.code,
            message: x.message,
          });
        }
        if (page.items.length < 1000) break;
      }
      // The import's contacts come in the order of its rows (time-ordered ids, ADR 0003).
      const made = await this.repos.contacts.list(actor.orgId, { importId: imp.id, limit: MAX_BATCH, offset: 0 });
      const ids = made.items.map((c) => c.id);
      let next = 0;
      const verdicts = rows.map(
        (_r, index): ContactVerdict =>
          rejected.get(index) ?? {
            index,
            outcome: 'created',
            contactId: ids[next++] ?? null,
            code: null,
            message: null,
          },
      );
      return { importId: imp.id, created: ids.length, verdicts };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** One contact: 201 with it; 409 when the project has its number; 400 with the row's verdict otherwise. */
  async createOne(actor: Principal, projectCode: string, row: ContactInput, meta: { ip?: string | undefined } = {}) {
    const { verdicts } = await this.create(actor, projectCode, [row]);
    const v = verdicts[0]!;
    if (v.outcome === 'duplicate_existing')
      throw new AppError('conflict', v.message ?? 'the project has a contact with this number', { verdict: v });
    if (v.outcome !== 'created' || !v.contactId)
      throw invalid(v.message ?? 'the contact was not created', { verdict: v });
    const c = await this.repos.contacts.get(actor.orgId, v.contactId);
    if (!c) throw notFound('contact');
    return this.view(actor, c, meta);
  }

  /** The contact a business system knows by its own id, masked by role (agents: theirs only). */
  async byExternalId(
    actor: Principal,
    projectCode: string,
    externalId: string,
    meta: { ip?: string | undefined } = {},
  ) {
    const project = await this.project(actor, projectCode);
    const scope = can(actor.role, 'contacts:read_all') ? undefined : actor.userId;
    if (scope) assertCan(actor, 'tasks:read_own');
    const { items } = await this.repos.contacts.list(actor.orgId, {
      projectId: project.id,
      externalId,
      assigneeUserId: scope,
      limit: 2,
      offset: 0,
    });
    const c = items[0];
    if (!c) throw notFound(`contact with external id "${externalId}"`);
    return this.view(actor, c, meta);
  }

  private async view(actor: Principal, c: ContactRow, meta: { ip?: string | undefined }): Promise<ContactView> {
    const unmasked = this.pii.unmasked(actor);
    if (unmasked)
      await this.pii.shown(actor, {
        action: 'contacts.unmasked_view',
        subjectType: 'contact',
        subjectId: c.id,
        details: { count: 1 },
        ip: meta.ip,
      });
    return present(c, unmasked, this.pii);
  }

  /**
   * Changes a contact's name, external id, tags or custom fields (each value checked like an
   * imported cell). Supervisors and admins any contact; an agent only the one they are talking to
   * or wrapping up (their latest call with it has no disposition yet). Audited.
   */
  async update(
    actor: Principal,
    id: string,
    patch: {
      name?: string | null | undefined;
      externalId?: string | null | undefined;
      tags?: string[] | undefined;
      addTags?: string[] | undefined;
      removeTags?: string[] | undefined;
      custom?: Record<string, string | number | boolean | null> | undefined;
    },
    meta: { ip?: string | undefined } = {},
  ): Promise<ContactView> {
    const c = await this.repos.contacts.get(actor.orgId, id);
    if (!c) throw notFound('contact');
    let via = 'api';
    if (!can(actor.role, 'contacts:import')) {
      assertCan(actor, 'calls:handle');
      const last = await this.repos.attempts.lastOfContact(c.id);
      const onIt = last?.agentUserId === actor.userId && !(await this.repos.dispositions.forAttempt(last.id));
      if (!onIt) throw notFound('contact'); // not theirs to change: as invisible as another's call
      via = 'agent_on_call';
    }
    const fields = await this.repos.projects.fields(c.projectId);
    const custom: Record<string, FieldValue> = {};
    const issues: { path: string; message: string }[] = [];
    for (const [k, v] of Object.entries(patch.custom ?? {})) {
      const f = fields.find((x) => x.key === k);
      if (!f) {
        issues.push({ path: `custom.${k}`, message: 'no such field in the project' });
        continue;
      }
      const r = coerceFieldValue(f, v === null ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v));
      if (r.ok) custom[k] = r.value;
      else issues.push({ path: `custom.${k}`, message: r.message });
    }
    let tags = patch.tags ?? c.tags;
    if (patch.addTags) tags = [...new Set([...tags, ...patch.addTags])];
    if (patch.removeTags) tags = tags.filter((t) => !patch.removeTags!.includes(t));
    tags = tags.map((t) => t.trim()).filter(Boolean);
    if (tags.length > MAX_TAGS) issues.push({ path: 'tags', message: `at most ${MAX_TAGS} tags` });
    if (tags.some((t) => t.length > MAX_TAG))
      issues.push({ path: 'tags', message: `a tag is at most ${MAX_TAG} characters` });
    if (issues.length) throw invalid('the change has problems', { issues });
    const changed = Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined);
    const row = await this.repos.transaction(async (tx) => {
      const updated = await tx.contacts.update(actor.orgId, id, {
        name: patch.name,
        externalId: patch.externalId,
        tags,
        custom,
      });
      if (!updated) throw notFound('contact');
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'contact.updated',
        subjectType: 'contact',
        subjectId: id,
        details: { changed, via, fields: Object.keys(custom) },
        ip: meta.ip,
      });
      return updated;
    });
    return this.view(actor, row, meta);
  }
}
