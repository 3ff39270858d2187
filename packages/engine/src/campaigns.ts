import type { CampaignFigures, CampaignRow, Repositories } from './ports/index.ts';
import {
  allowedActions,
  defaultCampaignSettings,
  transition,
  validateCampaignSettings,
  type CampaignAction,
  type CampaignSettings,
  type CampaignStatus,
  type FinishReason,
  type UserAction,
} from '@outdial/domain/campaigns';
import type { GovernedMode } from '@outdial/domain/pacing';
import { DateTime } from 'luxon';
import { outboxEvent } from './webhooks/events.ts';
import { AppError, invalid, isUniqueViolation, notFound } from './errors.ts';
import { assertCan, type Principal } from './auth.ts';
import type { Clock } from './ports/index.ts';

export interface CreateCampaignInput {
  projectCode: string;
  name: string;
  settings?: Partial<CampaignSettings> | undefined;
}

export interface Campaign extends CampaignRow {
  projectCode: string;
  /** What a user may do next (buttons, and the API's hint on a refused action). */
  actions: UserAction[];
}

export interface LiveCampaignFigures {
  mode: GovernedMode;
  modeReason: string;
  refusals: Record<string, number>;
  agents: Record<string, number>;
  liveCalls: number;
}

export interface CampaignStats {
  campaignId: string;
  status: CampaignStatus;
  abandonLimit: number;
  today: CampaignFigures & { abandonRate: number };
  period30d: CampaignFigures & { abandonRate: number };
  /** Preview mode, today: contacts decided by agents, dialed, skipped by reason; utilisation = dialed / decided. */
  previewsToday: {
    decided: number;
    dialed: number;
    skipped: Record<string, number>;
    meanPreviewSeconds: number | null;
    utilisation: number | null;
  };
  /** Null when no dialer on this node runs the campaign (not running, or another node runs it). */
  dialer: LiveCampaignFigures | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Campaign lifecycle: create and configure, then schedule / start / pause / resume / stop. */
export class CampaignService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
  ) {}

  async create(actor: Principal, input: CreateCampaignInput): Promise<Campaign> {
    assertCan(actor, 'campaigns:manage');
    const project = await this.repos.projects.getByCode(actor.orgId, input.projectCode);
    if (!project) throw notFound(`project "${input.projectCode}"`);
    if (project.status !== 'active') throw new AppError('invalid_state', `project "${project.code}" is archived`);
    const name = input.name.trim();
    if (!name) throw invalid('the campaign needs a name', { issues: [{ path: 'name', message: 'must not be empty' }] });
    const settings = await this.checked(actor.orgId, project.id, { ...defaultCampaignSettings(), ...input.settings });
    let row: CampaignRow;
    try {
      row = await this.repos.transaction(async (tx) => {
        const created = await tx.campaigns.create({
          orgId: actor.orgId,
          projectId: project.id,
          name,
          settings,
          createdBy: actor.userId,
        });
        await tx.audit.append({
          orgId: actor.orgId,
          actorUserId: actor.userId,
          action: 'campaign.created',
          subjectType: 'campaign',
          subjectId: created.id,
          details: { project: project.code, name, dialMode: settings.dialMode },
        });
        return created;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError('conflict', `project "${project.code}" already has a campaign named "${name}"`, {
          field: 'name',
        });
      throw err;
    }
    return this.view(row, project.code);
  }

  async get(actor: Principal, id: string): Promise<Campaign> {
    assertCan(actor, 'campaigns:read');
    const row = await this.repos.campaigns.get(actor.orgId, id);
    if (!row) throw notFound('campaign');
    return this.view(row);
  }

  async list(
    actor: Principal,
    q: { projectCode?: string | undefined; status?: CampaignStatus | undefined; limit: number; offset: number },
  ) {
    assertCan(actor, 'campaigns:read');
    let projectId: string | undefined;
    if (q.projectCode) {
      const project = await this.repos.projects.getByCode(actor.orgId, q.projectCode);
      if (!project) throw notFound(`project "${q.projectCode}"`);
      projectId = project.id;
    }
    const { items, total } = await this.repos.campaigns.list(actor.orgId, {
      projectId,
      status: q.status,
      limit: q.limit,
      offset: q.offset,
    });
    return { items: await Promise.all(items.map((r) => this.view(r))), total };
  }

  /** Changes settings; allowed until the campaign finishes (a running campaign takes them at the dialer's next sync, within 2 s). */
  async configure(actor: Principal, id: string, patch: Partial<CampaignSettings>): Promise<Campaign> {
    assertCan(actor, 'campaigns:manage');
    const current = await this.repos.campaigns.get(actor.orgId, id);
    if (!current) throw notFound('campaign');
    if (current.status === 'finished')
      throw new AppError('invalid_state', 'a finished campaign cannot be changed', { status: current.status });
    const settings = await this.checked(actor.orgId, current.projectId, { ...current.settings, ...patch });
    const row = await this.repos.transaction(async (tx) => {
      const updated = await tx.campaigns.updateSettings(actor.orgId, id, settings, this.clock.now());
      if (!updated) throw new AppError('invalid_state', 'the campaign finished meanwhile');
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'campaign.configured',
        subjectType: 'campaign',
        subjectId: id,
        details: { changed: Object.keys(patch) },
      });
      return updated;
    });
    return this.view(row);
  }

  /**
   * Live figures: dials, answers, connects and abandons today and over the 30-day
   * period, the abandon rate against the limit, and — from the dialer running it, when this
   * node runs it — the current mode and why, agents by state and compliance refusals by reason.
   */
  /** A campaign's recent figures per minute (up to 3 hours back) or per hour, oldest first, for charts. */
  async series(actor: Principal, id: string, hours: number) {
    assertCan(actor, 'campaigns:read');
    const c = await this.repos.campaigns.get(actor.orgId, id);
    if (!c) throw notFound('campaign');
    const unit = hours <= 3 ? ('minute' as const) : ('hour' as const);
    const since = new Date(this.clock.now().getTime() - hours * 3_600_000);
    const buckets = await this.repos.attempts.campaignBuckets(id, since, unit);
    return {
      campaignId: id,
      unit,
      buckets: buckets
        .map((b) => ({ start: b.start, dials: b.dials, answered: b.person, abandons: b.abandons }))
        .sort((a, b) => a.start.getTime() - b.start.getTime()),
    };
  }

  async stats(
    actor: Principal,
    id: string,
    live: () => LiveCampaignFigures | null = () => null,
  ): Promise<CampaignStats> {
    assertCan(actor, 'campaigns:read');
    const c = await this.repos.campaigns.get(actor.orgId, id);
    if (!c) throw notFound('campaign');
    const now = this.clock.now();
    // "Today" is the project's calendar day, in its default time zone.
    const zone = (await this.repos.projects.getById(c.orgId, c.projectId))?.defaultTimezone ?? 'UTC';
    const dayStart = DateTime.fromJSDate(now, { zone }).startOf('day').toJSDate();
    const [today, period, previews] = await Promise.all([
      this.repos.attempts.campaignFigures(id, dayStart),
      this.repos.attempts.campaignFigures(id, new Date(now.getTime() - 30 * 86_400_000)),
      this.repos.campaigns.previewFigures(id, dayStart),
    ]);
    const rate = (f: { abandons: number; answeredPerson: number }) =>
      f.answeredPerson ? f.abandons / f.answeredPerson : 0;
    return {
      campaignId: id,
      status: c.status,
      abandonLimit: c.settings.abandonTarget,
      today: { ...today, abandonRate: rate(today) },
      period30d: { ...period, abandonRate: rate(period) },
      previewsToday: { ...previews, utilisation: previews.decided ? previews.dialed / previews.decided : null },
      // Read only once the campaign is known to be the reader's.
      dialer: live(),
    };
  }

  /** A user's lifecycle command. */
  async act(actor: Principal, id: string, action: Exclude<CampaignAction, 'finish'>): Promise<Campaign> {
    assertCan(actor, 'campaigns:manage');
    const current = await this.repos.campaigns.get(actor.orgId, id);
    if (!current) throw notFound('campaign');
    if (action === 'schedule' && !current.settings.startAt) {
      throw invalid('set settings.startAt before scheduling', {
        issues: [{ path: 'settings.startAt', message: 'required to schedule' }],
      });
    }
    const row = await this.repos.transaction(async (tx) => {
      const moved = await this.move(tx, current, action, action === 'stop' ? 'stopped' : null);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: `campaign.${action}`,
        subjectType: 'campaign',
        subjectId: id,
        details: { from: current.status, to: moved.status },
      });
      return moved;
    });
    return this.view(row);
  }

  /**
   * The system's own moves: start a scheduled campaign, finish one whose list ran out, pause one
   * whose circuit breaker tripped (`detail` says what it found; a person resumes it).
   */
  async system(
    orgId: string,
    id: string,
    action: 'start' | 'finish' | 'pause',
    reason: FinishReason | null = null,
    detail: string | null = null,
  ): Promise<CampaignRow> {
    const current = await this.repos.campaigns.get(orgId, id);
    if (!current) throw notFound('campaign');
    return this.repos.transaction(async (tx) => {
      const row = await this.move(tx, current, action, reason, detail);
      await tx.audit.append({
        orgId,
        actorUserId: null,
        action: `campaign.${action}`,
        subjectType: 'campaign',
        subjectId: id,
        details: { from: current.status, to: row.status, reason, detail },
      });
      return row;
    });
  }

  private async move(
    tx: Repositories,
    current: CampaignRow,
    action: CampaignAction,
    reason: FinishReason | null,
    detail: string | null = null,
  ): Promise<CampaignRow> {
    const t = transition(current.status, action);
    if (!t.ok)
      throw new AppError('invalid_state', t.message, {
        status: current.status,
        allowed: allowedActions(current.status),
      });
    const row = await tx.campaigns.setStatus(
      current.orgId,
      current.id,
      current.status,
      t.to,
      this.clock.now(),
      t.to === 'finished' ? reason : null,
      detail,
    );
    if (!row) {
      // Someone else moved it first: report the state it is in now.
      const now = await tx.campaigns.get(current.orgId, current.id);
      throw new AppError(
        'invalid_state',
        `the campaign changed meanwhile (now ${now?.status ?? 'gone'}); reload and try again`,
        { status: now?.status },
      );
    }
    await tx.webhooks.enqueue([
      outboxEvent(row.orgId, 'campaign.status_changed', row.updatedAt, {
        campaignId: row.id,
        name: row.name,
        projectId: row.projectId,
        from: current.status,
        to: row.status,
        finishReason: row.finishReason,
        detail,
      }),
    ]);
    return row;
  }

  /**
   * Every problem with the settings at once: the domain's rules, then what only the store knows —
   * lists must be imports of this campaign's project, skills must be the organisation's skill groups.
   */
  private async checked(orgId: string, projectId: string, settings: CampaignSettings): Promise<CampaignSettings> {
    const issues = validateCampaignSettings(settings).map((i) => ({ ...i, path: `settings.${i.path}` }));
    const lists = [...new Set([...settings.lists, ...Object.keys(settings.listDailyCaps)])];
    const known = new Set(
      await this.repos.imports.ofProject(
        orgId,
        projectId,
        lists.filter((l) => UUID.test(l)),
      ),
    );
    settings.lists.forEach((l, i) => {
      if (UUID.test(l) && !known.has(l))
        issues.push({ path: `settings.lists.${i}`, message: "is not a list (import) of the campaign's project" });
    });
    for (const l of Object.keys(settings.listDailyCaps))
      if (UUID.test(l) && !known.has(l))
        issues.push({
          path: `settings.listDailyCaps.${l}`,
          message: "is not a list (import) of the campaign's project",
        });
    const skills = new Set((await this.repos.org.listSkillGroups(orgId)).map((g) => g.code));
    for (const code of Object.keys(settings.requiredSkills))
      if (!skills.has(code))
        issues.push({ path: `settings.requiredSkills.${code}`, message: 'is not a skill group of the organisation' });
    if (issues.length > 0) throw invalid('the campaign settings have problems', { issues });
    return settings;
  }

  private async view(row: CampaignRow, projectCode?: string): Promise<Campaign> {
    const code = projectCode ?? (await this.repos.projects.getById(row.orgId, row.projectId))?.code ?? '';
    // Settings stored before a setting existed read as its default.
    return {
      ...row,
      settings: { ...defaultCampaignSettings(), ...row.settings },
      projectCode: code,
      actions: allowedActions(row.status),
    };
  }
}
