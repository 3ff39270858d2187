import type { DispositionCode, FieldDef } from '@outdial/domain/projects';
import type { Sql } from '../database.ts';
import type { ProjectRow, Project, ProjectInput, ProjectsStore } from '@outdial/engine/ports';
export type { ProjectRow, Project, ProjectInput };

const COLS = `id, org_id AS "orgId", code, name, description, default_region AS "defaultRegion",
  default_timezone AS "defaultTimezone", rules, caller_ids AS "callerIds", status,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

interface FieldRowDb {
  key: string;
  labelZh: string;
  labelEn: string;
  type: FieldDef['type'];
  required: boolean;
  options: string[] | null;
  maxLength: number | null;
}

export class ProjectsRepo implements ProjectsStore {
  constructor(private readonly sql: Sql) {}

  async create(orgId: string, p: ProjectInput): Promise<ProjectRow> {
    const [row] = await this.sql.query<ProjectRow>(
      `INSERT INTO projects (org_id, code, name, description, default_region, default_timezone, rules, caller_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLS}`,
      [orgId, p.code, p.name, p.description, p.defaultRegion, p.defaultTimezone, JSON.stringify(p.rules), p.callerIds],
    );
    return row!;
  }

  async update(
    orgId: string,
    id: string,
    p: Partial<Omit<ProjectInput, 'code'>> & { status?: 'active' | 'archived' | undefined },
  ): Promise<ProjectRow | undefined> {
    const [row] = await this.sql.query<ProjectRow>(
      `UPDATE projects SET name = coalesce($3, name), description = coalesce($4, description),
         default_region = coalesce($5, default_region), default_timezone = coalesce($6, default_timezone),
         rules = coalesce($7::jsonb, rules), caller_ids = coalesce($8, caller_ids), status = coalesce($9, status),
         updated_at = now()
       WHERE org_id = $1 AND id = $2 RETURNING ${COLS}`,
      [
        orgId,
        id,
        p.name ?? null,
        p.description ?? null,
        p.defaultRegion ?? null,
        p.defaultTimezone ?? null,
        p.rules ? JSON.stringify(p.rules) : null,
        p.callerIds ?? null,
        p.status ?? null,
      ],
    );
    return row;
  }

  async getByCode(orgId: string, code: string): Promise<Project | undefined> {
    const [row] = await this.sql.query<ProjectRow>(`SELECT ${COLS} FROM projects WHERE org_id = $1 AND code = $2`, [
      orgId,
      code,
    ]);
    if (!row) return undefined;
    return { ...row, fields: await this.fields(row.id), dispositions: await this.dispositions(row.id) };
  }

  /** The project row alone (no fields or dispositions), by id. */
  async getById(orgId: string, id: string): Promise<ProjectRow | undefined> {
    const [row] = await this.sql.query<ProjectRow>(`SELECT ${COLS} FROM projects WHERE org_id = $1 AND id = $2`, [
      orgId,
      id,
    ]);
    return row;
  }

  async list(orgId: string, opts: { limit: number; offset: number }): Promise<{ items: ProjectRow[]; total: number }> {
    const items = await this.sql.query<ProjectRow>(
      `SELECT ${COLS} FROM projects WHERE org_id = $1 ORDER BY code LIMIT $2 OFFSET $3`,
      [orgId, opts.limit, opts.offset],
    );
    const [c] = await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM projects WHERE org_id = $1', [
      orgId,
    ]);
    return { items, total: c!.n };
  }

  async fields(projectId: string): Promise<FieldDef[]> {
    const rows = await this.sql.query<FieldRowDb>(
      `SELECT key, label_zh AS "labelZh", label_en AS "labelEn", type, required, options, max_length AS "maxLength"
         FROM project_fields WHERE project_id = $1 ORDER BY position`,
      [projectId],
    );
    return rows.map((r) => ({
      key: r.key,
      labelZh: r.labelZh,
      labelEn: r.labelEn,
      type: r.type,
      required: r.required,
      ...(r.options ? { options: r.options } : {}),
      ...(r.maxLength !== null ? { maxLength: r.maxLength } : {}),
    }));
  }

  /** Replaces the whole custom-field template (configuration without a release). */
  async replaceFields(projectId: string, fields: readonly FieldDef[]): Promise<void> {
    await this.sql.query('DELETE FROM project_fields WHERE project_id = $1', [projectId]);
    let position = 0;
    for (const f of fields) {
      await this.sql.query(
        `INSERT INTO project_fields (project_id, key, label_zh, label_en, type, required, options, max_length, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          projectId,
          f.key,
          f.labelZh,
          f.labelEn,
          f.type,
          f.required,
          f.options ? JSON.stringify(f.options) : null,
          f.maxLength ?? null,
          position++,
        ],
      );
    }
  }

  async dispositions(projectId: string): Promise<DispositionCode[]> {
    const rows = await this.sql.query<
      DispositionCode & {
        retryAfterMinutes: number | null;
        callback: 'agent' | 'anyone' | null;
        escalateTo: string | null;
      }
    >(
      `SELECT code, label_zh AS "labelZh", label_en AS "labelEn", success, closes, adds_to_dnc AS "addsToDnc",
              retry_after_minutes AS "retryAfterMinutes", callback, escalate_to AS "escalateTo", requires_answers AS "requiresAnswers"
         FROM disposition_codes WHERE project_id = $1 ORDER BY position`,
      [projectId],
    );
    // Effects a code does not have are left out, as they are when a code is written.
    return rows.map(({ retryAfterMinutes, callback, escalateTo, requiresAnswers, ...d }) => ({
      ...d,
      ...(retryAfterMinutes !== null ? { retryAfterMinutes } : {}),
      ...(callback !== null ? { callback } : {}),
      ...(escalateTo !== null ? { escalateTo } : {}),
      ...(requiresAnswers ? { requiresAnswers } : {}),
    }));
  }

  async replaceDispositions(projectId: string, codes: readonly DispositionCode[]): Promise<void> {
    await this.sql.query('DELETE FROM disposition_codes WHERE project_id = $1', [projectId]);
    let position = 0;
    for (const d of codes) {
      await this.sql.query(
        `INSERT INTO disposition_codes (project_id, code, label_zh, label_en, success, closes, adds_to_dnc, position,
                                        retry_after_minutes, callback, escalate_to, requires_answers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          projectId,
          d.code,
          d.labelZh,
          d.labelEn,
          d.success,
          d.closes,
          d.addsToDnc,
          position++,
          d.retryAfterMinutes ?? null,
          d.callback ?? null,
          d.escalateTo ?? null,
          d.requiresAnswers ?? false,
        ],
      );
    }
  }
}
