import { supportedRegion } from '@outdial/domain/phone';
import { type Project, type ProjectInput, type ProjectRow, type Repositories } from './ports/index.ts';
import { validateFieldTemplate } from '@outdial/domain/fields';
import {
  defaultDispositions,
  defaultProjectRules,
  validateDispositions,
  validateProjectRules,
  type DispositionCode,
  type FieldDef,
  type Issue,
  type ProjectRules,
} from '@outdial/domain/projects';
import { AppError, invalid, isUniqueViolation, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';

const PROJECT_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

export interface CreateProjectInput {
  code: string;
  name: string;
  description?: string | undefined;
  defaultRegion?: string | undefined;
  defaultTimezone?: string | undefined;
  rules?: ProjectRules | undefined;
  callerIds?: string[] | undefined;
  fields?: FieldDef[] | undefined;
  dispositions?: DispositionCode[] | undefined;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export class ProjectsService {
  constructor(
    private readonly repos: Repositories,
    private readonly maxCustomFields: number,
  ) {}

  private check(p: Partial<CreateProjectInput>): void {
    const issues: Issue[] = [];
    if (p.code !== undefined && !PROJECT_CODE.test(p.code))
      issues.push({ path: 'code', message: 'letters, digits, - and _, max 40, starting with a letter or digit' });
    if (p.defaultRegion !== undefined && !(/^[A-Z]{2}$/.test(p.defaultRegion) && supportedRegion(p.defaultRegion)))
      issues.push({ path: 'defaultRegion', message: 'an ISO 3166 country code whose numbers can be read, such as CN' });
    p.callerIds?.forEach((c, i) => {
      if (!/^\+[1-9]\d{6,14}$/.test(c))
        issues.push({ path: `callerIds.${i}`, message: `"${c}" is not an E.164 number (+8610…)` });
      else if (p.callerIds!.indexOf(c) !== i)
        issues.push({ path: `callerIds.${i}`, message: `"${c}" is listed twice` });
    });
    if (p.defaultTimezone !== undefined && !validTimeZone(p.defaultTimezone))
      issues.push({ path: 'defaultTimezone', message: `"${p.defaultTimezone}" is not an IANA time zone` });
    if (p.rules) issues.push(...validateProjectRules(p.rules).map((i) => ({ ...i, path: `rules.${i.path}` })));
    if (p.fields)
      issues.push(
        ...validateFieldTemplate(p.fields, this.maxCustomFields).map((i) => ({ ...i, path: `fields.${i.path}` })),
      );
    if (p.dispositions) issues.push(...validateDispositions(p.dispositions));
    if (issues.length > 0) throw invalid('the project configuration has problems', { issues });
  }

  /** Escalations name skill groups: they must exist in the organisation. */
  private async checkEscalations(orgId: string, codes: readonly DispositionCode[] | undefined): Promise<void> {
    const wanted = (codes ?? []).flatMap((d, i) => (d.escalateTo ? [{ i, code: d.escalateTo }] : []));
    if (wanted.length === 0) return;
    const groups = new Set((await this.repos.org.listSkillGroups(orgId)).map((g) => g.code));
    const issues = wanted
      .filter((w) => !groups.has(w.code))
      .map((w) => ({ path: `dispositions.${w.i}.escalateTo`, message: `no skill group "${w.code}"` }));
    if (issues.length > 0) throw invalid('the project configuration has problems', { issues });
  }

  async create(actor: Principal, input: CreateProjectInput): Promise<Project> {
    assertCan(actor, 'projects:manage');
    this.check(input);
    await this.checkEscalations(actor.orgId, input.dispositions);
    const data: ProjectInput = {
      code: input.code,
      name: input.name,
      description: input.description ?? '',
      defaultRegion: input.defaultRegion ?? 'CN',
      defaultTimezone: input.defaultTimezone ?? 'Asia/Shanghai',
      rules: input.rules ?? defaultProjectRules(),
      callerIds: input.callerIds ?? [],
    };
    let row: ProjectRow;
    try {
      row = await this.repos.transaction(async (tx) => {
        const created = await tx.projects.create(actor.orgId, data);
        await tx.projects.replaceFields(created.id, input.fields ?? []);
        await tx.projects.replaceDispositions(created.id, input.dispositions ?? defaultDispositions());
        await tx.audit.append({
          orgId: actor.orgId,
          actorUserId: actor.userId,
          action: 'project.created',
          subjectType: 'project',
          subjectId: created.id,
          details: { code: created.code },
        });
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError('conflict', `a project with code "${input.code}" exists`, { field: 'code' });
      throw err;
    }
    return (await this.repos.projects.getByCode(actor.orgId, row.code))!;
  }

  async get(actor: Principal, code: string): Promise<Project> {
    assertCan(actor, 'projects:read');
    const p = await this.repos.projects.getByCode(actor.orgId, code);
    if (!p) throw notFound(`project "${code}"`);
    return p;
  }

  async list(actor: Principal, q: { limit: number; offset: number }) {
    assertCan(actor, 'projects:read');
    return this.repos.projects.list(actor.orgId, q);
  }

  async update(
    actor: Principal,
    code: string,
    patch: Omit<Partial<CreateProjectInput>, 'code'> & { status?: 'active' | 'archived' | undefined },
  ): Promise<Project> {
    assertCan(actor, 'projects:manage');
    this.check(patch);
    await this.checkEscalations(actor.orgId, patch.dispositions);
    const current = await this.get(actor, code);
    await this.repos.transaction(async (tx) => {
      await tx.projects.update(actor.orgId, current.id, patch);
      if (patch.fields) await tx.projects.replaceFields(current.id, patch.fields);
      if (patch.dispositions) await tx.projects.replaceDispositions(current.id, patch.dispositions);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'project.updated',
        subjectType: 'project',
        subjectId: current.id,
        details: { code, changed: Object.keys(patch) },
      });
    });
    return this.get(actor, code);
  }
}
