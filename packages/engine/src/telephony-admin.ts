import { validateTrunk } from '@outdial/domain/telephony';
import { assertCan, type Principal } from './auth.ts';
import { AppError, invalid, notFound } from './errors.ts';
import type { CallerIdHealthRow, Clock, RecordingRow, Repositories, TrunkInput, TrunkRow } from './ports/index.ts';

/** A trunk as the API shows it: never the password. */
export type TrunkView = Omit<TrunkRow, 'password'> & { hasPassword: boolean };

const view = (t: TrunkRow): TrunkView => {
  const { password, ...rest } = t;
  return { ...rest, hasPassword: password !== null };
};

export interface CallerIdHealth extends CallerIdHealthRow {
  answerRate: number;
  abandonRate: number;
  /** Complaints per 1,000 dials. */
  complaintsPerThousand: number;
}

/**
 * Telephony's use cases: the organisation's SIP trunks (a campaign names one in its settings),
 * call recordings (listened to and downloaded by allowed roles, every access audited, removed
 * when their retention ends), and each caller ID's health.
 */
export class TelephonyService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly opts: { retentionDays: number } = { retentionDays: 90 },
  ) {}

  async listTrunks(p: Principal): Promise<TrunkView[]> {
    assertCan(p, 'telephony:read');
    return (await this.repos.telephony.listTrunks(p.orgId)).map(view);
  }

  async getTrunk(p: Principal, id: string): Promise<TrunkView> {
    assertCan(p, 'telephony:read');
    const t = await this.repos.telephony.getTrunk(p.orgId, id);
    if (!t) throw notFound('trunk');
    return view(t);
  }

  async createTrunk(p: Principal, input: TrunkInput, ip?: string): Promise<TrunkView> {
    assertCan(p, 'telephony:manage');
    const problems = validateTrunk(input);
    if (problems.length) throw invalid(`the trunk is not valid: ${problems.join('; ')}`, { problems });
    return this.repos.transaction(async (tx) => {
      const t = await tx.telephony.createTrunk(p.orgId, input);
      if (!t) throw new AppError('conflict', `a trunk named "${input.name}" exists already`);
      await tx.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: 'trunk.create',
        subjectType: 'trunk',
        subjectId: t.id,
        details: { name: t.name, uri: t.uri },
        ip,
      });
      return view(t);
    });
  }

  async updateTrunk(p: Principal, id: string, patch: Partial<TrunkInput>, ip?: string): Promise<TrunkView> {
    assertCan(p, 'telephony:manage');
    return this.repos.transaction(async (tx) => {
      const cur = await tx.telephony.getTrunk(p.orgId, id);
      if (!cur) throw notFound('trunk');
      const problems = validateTrunk({ ...cur, ...patch });
      if (problems.length) throw invalid(`the trunk is not valid: ${problems.join('; ')}`, { problems });
      const t = await tx.telephony.updateTrunk(p.orgId, id, patch, this.clock.now());
      if (t === null) throw new AppError('conflict', `a trunk named "${patch.name}" exists already`);
      if (!t) throw notFound('trunk');
      await tx.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: 'trunk.update',
        subjectType: 'trunk',
        subjectId: id,
        details: { fields: Object.keys(patch).filter((k) => k !== 'password'), password: 'password' in patch },
        ip,
      });
      return view(t);
    });
  }

  async deleteTrunk(p: Principal, id: string, ip?: string): Promise<void> {
    assertCan(p, 'telephony:manage');
    await this.repos.transaction(async (tx) => {
      if (!(await tx.telephony.deleteTrunk(p.orgId, id))) throw notFound('trunk');
      await tx.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: 'trunk.delete',
        subjectType: 'trunk',
        subjectId: id,
        ip,
      });
    });
  }

  /** A recording's details and file, for a role allowed to listen; the access is audited (play or download). */
  async recording(
    p: Principal,
    attemptId: string,
    how: 'info' | 'play' | 'download',
    ip?: string,
  ): Promise<RecordingRow> {
    assertCan(p, 'recordings:listen');
    const r = await this.repos.telephony.getRecording(p.orgId, attemptId);
    if (!r || r.expiresAt.getTime() <= this.clock.now().getTime()) throw notFound('recording');
    if (how !== 'info')
      await this.repos.audit.append({
        orgId: p.orgId,
        actorUserId: p.userId,
        action: `recording.${how}`,
        subjectType: 'call_attempt',
        subjectId: attemptId,
        ip,
      });
    return r;
  }

  /** The carrier stored a call's recording: kept for the retention period from now. */
  async recordingStored(attemptId: string, path: string, durationMs: number): Promise<void> {
    const [a] = await this.repos.attempts.getMany([attemptId]);
    if (!a) throw notFound(`attempt ${attemptId}`);
    await this.repos.telephony.saveRecording({
      attemptId,
      orgId: a.orgId,
      projectId: a.projectId,
      agentUserId: a.agentUserId,
      path,
      durationMs,
      expiresAt: new Date(this.clock.now().getTime() + this.opts.retentionDays * 86_400_000),
    });
  }

  /** Removes recordings past their retention: the file first, then the row (a file that cannot be removed keeps its row). */
  async sweepRecordings(remove: (path: string) => Promise<void>, limit = 500): Promise<number> {
    const due = await this.repos.telephony.expiredRecordings(this.clock.now(), limit);
    const gone: string[] = [];
    for (const r of due) {
      await remove(r.path);
      gone.push(r.attemptId);
    }
    await this.repos.telephony.deleteRecordings(gone);
    return gone.length;
  }

  /** Each caller ID's figures over the last `days` (the project's only, when given). */
  async callerIdHealth(p: Principal, q: { projectCode?: string | undefined; days: number }): Promise<CallerIdHealth[]> {
    assertCan(p, 'telephony:read');
    if (!(Number.isInteger(q.days) && q.days >= 1 && q.days <= 90)) throw invalid('days: 1–90', { field: 'days' });
    let projectId: string | null = null;
    if (q.projectCode) {
      const project = await this.repos.projects.getByCode(p.orgId, q.projectCode);
      if (!project) throw notFound(`project "${q.projectCode}"`);
      projectId = project.id;
    }
    const since = new Date(this.clock.now().getTime() - q.days * 86_400_000);
    const rows = await this.repos.telephony.callerIdHealth(p.orgId, since, projectId);
    return rows.map((r) => ({
      ...r,
      answerRate: r.dials ? r.answered / r.dials : 0,
      abandonRate: r.answered ? r.abandoned / r.answered : 0,
      complaintsPerThousand: r.dials ? (1000 * r.complaints) / r.dials : 0,
    }));
  }
}
