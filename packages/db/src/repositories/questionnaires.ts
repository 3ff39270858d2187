import type { AnswerValue, LocalText, QuestionnaireDoc, QuestionnaireInput } from '@outdial/domain/questionnaires';
import type {
  BankRow,
  CallAnswersRow,
  KnowledgeRule,
  QuestionnaireRow,
  QuestionnairesStore,
  QuestionnaireVersionRow,
} from '@outdial/engine/ports';
import type { Database } from '../database.ts';

const BANK = `code, category, question, created_at AS "createdAt", updated_at AS "updatedAt"`;
const Q = `q.id, q.org_id AS "orgId", q.project_id AS "projectId", q.code, q.title, q.draft, q.active,
  (SELECT max(v.version) FROM questionnaire_versions v WHERE v.questionnaire_id = q.id) AS "latestVersion",
  q.created_by AS "createdBy", q.created_at AS "createdAt", q.updated_at AS "updatedAt"`;
const V = `id, questionnaire_id AS "questionnaireId", version, document, published_by AS "publishedBy", published_at AS "publishedAt"`;
const A = `attempt_id AS "attemptId", org_id AS "orgId", version_id AS "versionId", answers, complete,
  updated_by AS "updatedBy", updated_at AS "updatedAt"`;

/** Questionnaires (问卷): the question bank, drafts and immutable versions, each call's answers, knowledge prompts. */
export class QuestionnairesRepo implements QuestionnairesStore {
  constructor(private readonly db: Database) {}

  bankList(orgId: string, category?: string): Promise<BankRow[]> {
    return this.db.query<BankRow>(
      `SELECT ${BANK} FROM question_bank WHERE org_id = $1 AND ($2::text IS NULL OR category = $2) ORDER BY category, code`,
      [orgId, category ?? null],
    );
  }

  async bankCreate(
    orgId: string,
    code: string,
    category: string,
    question: BankRow['question'],
  ): Promise<BankRow | undefined> {
    const [row] = await this.db.query<BankRow>(
      `INSERT INTO question_bank (org_id, code, category, question) VALUES ($1, $2, $3, $4)
       ON CONFLICT (org_id, code) DO NOTHING RETURNING ${BANK}`,
      [orgId, code, category, JSON.stringify(question)],
    );
    return row;
  }

  async bankUpdate(
    orgId: string,
    code: string,
    category: string,
    question: BankRow['question'],
  ): Promise<BankRow | undefined> {
    const [row] = await this.db.query<BankRow>(
      `UPDATE question_bank SET category = $3, question = $4, updated_at = now() WHERE org_id = $1 AND code = $2 RETURNING ${BANK}`,
      [orgId, code, category, JSON.stringify(question)],
    );
    return row;
  }

  async create(q: {
    orgId: string;
    projectId: string;
    code: string;
    title: LocalText;
    draft: QuestionnaireInput;
    createdBy: string | null;
    at: Date;
  }): Promise<QuestionnaireRow | undefined> {
    const [row] = await this.db.query<{ id: string }>(
      `INSERT INTO questionnaires (org_id, project_id, code, title, draft, created_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (project_id, code) DO NOTHING RETURNING id`,
      [q.orgId, q.projectId, q.code, JSON.stringify(q.title), JSON.stringify(q.draft), q.createdBy, q.at],
    );
    return row ? this.get(q.orgId, row.id) : undefined;
  }

  async saveDraft(
    orgId: string,
    id: string,
    title: LocalText,
    draft: QuestionnaireInput,
    at: Date,
  ): Promise<QuestionnaireRow | undefined> {
    const [row] = await this.db.query<{ id: string }>(
      `UPDATE questionnaires SET title = $3, draft = $4, updated_at = $5 WHERE org_id = $1 AND id = $2 RETURNING id`,
      [orgId, id, JSON.stringify(title), JSON.stringify(draft), at],
    );
    return row ? this.get(orgId, id) : undefined;
  }

  async get(orgId: string, id: string): Promise<QuestionnaireRow | undefined> {
    const [row] = await this.db.query<QuestionnaireRow>(
      `SELECT ${Q} FROM questionnaires q WHERE q.org_id = $1 AND q.id = $2`,
      [orgId, id],
    );
    return row;
  }

  async getByCode(orgId: string, projectId: string, code: string): Promise<QuestionnaireRow | undefined> {
    const [row] = await this.db.query<QuestionnaireRow>(
      `SELECT ${Q} FROM questionnaires q WHERE q.org_id = $1 AND q.project_id = $2 AND q.code = $3`,
      [orgId, projectId, code],
    );
    return row;
  }

  list(orgId: string, projectId: string): Promise<QuestionnaireRow[]> {
    return this.db.query<QuestionnaireRow>(
      `SELECT ${Q} FROM questionnaires q WHERE q.org_id = $1 AND q.project_id = $2 ORDER BY q.code`,
      [orgId, projectId],
    );
  }

  /**
   * The next version number is taken under a lock on the questionnaire's row, so two people
   * publishing at once get two versions, never one number twice (the unique key would refuse it).
   */
  publish(v: {
    orgId: string;
    questionnaireId: string;
    document: QuestionnaireDoc;
    publishedBy: string | null;
    at: Date;
  }): Promise<QuestionnaireVersionRow> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM questionnaires WHERE id = $1 AND org_id = $2 FOR UPDATE', [
        v.questionnaireId,
        v.orgId,
      ]);
      const [row] = await tx.query<QuestionnaireVersionRow>(
        `INSERT INTO questionnaire_versions (org_id, questionnaire_id, version, document, published_by, published_at)
         SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5 FROM questionnaire_versions WHERE questionnaire_id = $2
         RETURNING ${V}`,
        [v.orgId, v.questionnaireId, JSON.stringify(v.document), v.publishedBy, v.at],
      );
      return row!;
    });
  }

  versions(orgId: string, questionnaireId: string): Promise<Omit<QuestionnaireVersionRow, 'document'>[]> {
    return this.db.query(
      `SELECT id, questionnaire_id AS "questionnaireId", version, published_by AS "publishedBy", published_at AS "publishedAt"
         FROM questionnaire_versions WHERE org_id = $1 AND questionnaire_id = $2 ORDER BY version`,
      [orgId, questionnaireId],
    );
  }

  async version(orgId: string, questionnaireId: string, version: number): Promise<QuestionnaireVersionRow | undefined> {
    const [row] = await this.db.query<QuestionnaireVersionRow>(
      `SELECT ${V} FROM questionnaire_versions WHERE org_id = $1 AND questionnaire_id = $2 AND version = $3`,
      [orgId, questionnaireId, version],
    );
    return row;
  }

  async versionById(orgId: string, versionId: string): Promise<QuestionnaireVersionRow | undefined> {
    const [row] = await this.db.query<QuestionnaireVersionRow>(
      `SELECT ${V} FROM questionnaire_versions WHERE org_id = $1 AND id = $2`,
      [orgId, versionId],
    );
    return row;
  }

  async activate(orgId: string, projectId: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE questionnaires SET active = false WHERE org_id = $1 AND project_id = $2 AND active AND id <> $3`,
        [orgId, projectId, id],
      );
      await tx.query(`UPDATE questionnaires SET active = true WHERE org_id = $1 AND project_id = $2 AND id = $3`, [
        orgId,
        projectId,
        id,
      ]);
    });
  }

  async activeVersion(
    orgId: string,
    projectId: string,
  ): Promise<{ questionnaire: QuestionnaireRow; version: QuestionnaireVersionRow } | undefined> {
    const [questionnaire] = await this.db.query<QuestionnaireRow>(
      `SELECT ${Q} FROM questionnaires q WHERE q.org_id = $1 AND q.project_id = $2 AND q.active`,
      [orgId, projectId],
    );
    if (!questionnaire?.latestVersion) return undefined;
    const version = await this.version(orgId, questionnaire.id, questionnaire.latestVersion);
    return version ? { questionnaire, version } : undefined;
  }

  async answers(attemptId: string): Promise<CallAnswersRow | undefined> {
    const [row] = await this.db.query<CallAnswersRow>(`SELECT ${A} FROM call_answers WHERE attempt_id = $1`, [
      attemptId,
    ]);
    return row;
  }

  async pin(attemptId: string, orgId: string, versionId: string, at: Date): Promise<CallAnswersRow> {
    await this.db.query(
      `INSERT INTO call_answers (attempt_id, org_id, version_id, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (attempt_id) DO NOTHING`,
      [attemptId, orgId, versionId, at],
    );
    return (await this.answers(attemptId))!;
  }

  async saveAnswers(
    attemptId: string,
    answers: Record<string, AnswerValue>,
    complete: boolean,
    by: string | null,
    at: Date,
  ): Promise<void> {
    await this.db.query(
      `UPDATE call_answers SET answers = $2, complete = $3, updated_by = $4, updated_at = $5 WHERE attempt_id = $1`,
      [attemptId, JSON.stringify(answers), complete, by, at],
    );
  }

  knowledge(projectId: string): Promise<KnowledgeRule[]> {
    return this.db.query<KnowledgeRule>(
      `SELECT keywords, title, body FROM knowledge_rules WHERE project_id = $1 ORDER BY position`,
      [projectId],
    );
  }

  async replaceKnowledge(orgId: string, projectId: string, rules: readonly KnowledgeRule[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM knowledge_rules WHERE project_id = $1', [projectId]);
      for (const [i, r] of rules.entries())
        await tx.query(
          `INSERT INTO knowledge_rules (org_id, project_id, keywords, title, body, position) VALUES ($1, $2, $3, $4, $5, $6)`,
          [orgId, projectId, r.keywords, JSON.stringify(r.title), JSON.stringify(r.body), i],
        );
    });
  }
}
