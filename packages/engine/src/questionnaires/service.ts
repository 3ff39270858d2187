import type { FieldDef } from '@outdial/domain/projects';
import {
  checkAnswers,
  matchKnowledge,
  maxRemaining,
  missingAnswer,
  renderText,
  validateQuestionnaire,
  walk,
  type AnswerValue,
  type BankQuestion,
  type ContactFacts,
  type FieldInfo,
  type FieldValue,
  type LocalText,
  type Question,
  type QuestionnaireDoc,
  type QuestionnaireInput,
  type QuestionnaireIssue,
} from '@outdial/domain/questionnaires';
import type { CheckResult, ScriptState } from '@outdial/contracts/questionnaires';
import type {
  AttemptRow,
  BankRow,
  CallAnswersRow,
  ContactRow,
  KnowledgeRule,
  QuestionnaireRow,
  QuestionnaireVersionRow,
  Repositories,
} from '../ports/index.ts';
import type { Clock } from '../ports/index.ts';
import { assertCan, type Principal } from '../auth.ts';
import type { EventBus } from '../dialer/events.ts';
import { AppError, invalid, notFound } from '../errors.ts';
import { checkQuestionnaire, parseQuestionnaire, type CheckContext } from './format.ts';

/** A project's custom field as questionnaires see it. */
export const fieldInfo = (f: FieldDef): FieldInfo => ({ key: f.key, type: f.type, options: f.options });

/** What conditions and placeholders know of a contact: its tags, its fixed fields and its custom fields. */
export function contactFacts(c: ContactRow): ContactFacts {
  const fields: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(c.custom))
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
  Object.assign(fields, {
    name: c.name,
    region: c.region,
    timezone: c.timezone,
    external_id: c.externalId,
    attempts: c.attempts,
    priority: c.priority,
  });
  return { tags: c.tags, fields };
}

/** The answers of a call as `GET /attempts/{id}` shows them. */
export interface CallAnswersView {
  questionnaireId: string;
  code: string;
  version: number;
  values: Record<string, AnswerValue>;
  complete: boolean;
  updatedAt: Date;
}

const checked = (issues: readonly QuestionnaireIssue[]): CheckResult => ({
  valid: issues.length === 0,
  errors: [...issues],
});

/** Each call remembers the prompts it was shown, so a keyword said twice does not push the same prompt again. */
const SHOWN_CAP = 20_000;

/**
 * Questionnaires and scripts (问卷管理): the organisation's question bank, a project's
 * questionnaires (a draft in the exchange format, published versions that never change), the
 * workstation's runtime over a call (next question, progress, answers validated against the
 * version the call uses), and knowledge prompts pushed to the call's agent.
 */
export class QuestionnaireService {
  private readonly shown = new Map<string, Set<string>>();

  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  private async project(actor: Principal, code: string) {
    const p = await this.repos.projects.getByCode(actor.orgId, code);
    if (!p) throw notFound(`project "${code}"`);
    return p;
  }

  private async bank(orgId: string): Promise<Map<string, BankQuestion>> {
    const rows = await this.repos.questionnaires.bankList(orgId);
    return new Map(rows.map((r) => [r.code, { ...r.question, code: r.code, category: r.category || undefined }]));
  }

  /** What checking a questionnaire for a project needs: the project's fields and the organisation's bank. */
  async checkContext(actor: Principal, projectCode: string): Promise<CheckContext> {
    assertCan(actor, 'projects:read');
    const project = await this.project(actor, projectCode);
    return { fields: project.fields.map(fieldInfo), bank: await this.bank(actor.orgId) };
  }

  // ---- the question bank

  async bankList(actor: Principal, category?: string): Promise<BankRow[]> {
    assertCan(actor, 'projects:read');
    return this.repos.questionnaires.bankList(actor.orgId, category);
  }

  /** A bank question must stand on its own as a questionnaire question would (options, ranges, text). */
  private checkBankQuestion(q: Omit<BankQuestion, 'code'>): void {
    const doc: QuestionnaireDoc = {
      format: 'outdial.questionnaire/1',
      code: 'BANK',
      title: { en: 'bank' },
      questions: [{ ...q, key: 'bank' }],
    };
    const issues = validateQuestionnaire(doc);
    if (issues.length)
      throw invalid('the bank question has problems', {
        errors: issues.map((i) => ({ ...i, question: null })),
      });
  }

  async bankCreate(
    actor: Principal,
    input: Omit<BankQuestion, 'category'> & { category?: string | undefined },
  ): Promise<BankRow> {
    assertCan(actor, 'scripts:manage');
    const { code, category = '', ...question } = input;
    this.checkBankQuestion(question);
    return this.repos.transaction(async (tx) => {
      const row = await tx.questionnaires.bankCreate(actor.orgId, code, category, question);
      if (!row) throw new AppError('conflict', `the bank has a question "${code}"`, { field: 'code' });
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'question_bank.created',
        subjectType: 'bank_question',
        subjectId: code,
        details: { category },
      });
      return row;
    });
  }

  async bankUpdate(
    actor: Principal,
    code: string,
    input: Omit<BankQuestion, 'code' | 'category'> & { category?: string | undefined },
  ): Promise<BankRow> {
    assertCan(actor, 'scripts:manage');
    const { category = '', ...question } = input;
    this.checkBankQuestion(question);
    return this.repos.transaction(async (tx) => {
      const row = await tx.questionnaires.bankUpdate(actor.orgId, code, category, question);
      if (!row) throw notFound(`bank question "${code}"`);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'question_bank.updated',
        subjectType: 'bank_question',
        subjectId: code,
        details: { category },
      });
      return row;
    });
  }

  // ---- questionnaires

  async list(actor: Principal, projectCode: string): Promise<QuestionnaireRow[]> {
    assertCan(actor, 'projects:read');
    const project = await this.project(actor, projectCode);
    return this.repos.questionnaires.list(actor.orgId, project.id);
  }

  /** Lints a document for a project without saving it. */
  async check(actor: Principal, projectCode: string, json: unknown): Promise<CheckResult> {
    return checked(checkQuestionnaire(json, await this.checkContext(actor, projectCode)).issues);
  }

  private async detail(actor: Principal, q: QuestionnaireRow) {
    const project = await this.repos.projects.getById(actor.orgId, q.projectId);
    const fields = project ? (await this.repos.projects.fields(project.id)).map(fieldInfo) : [];
    const { issues } = checkQuestionnaire(q.draft, { fields, bank: await this.bank(actor.orgId) });
    const versions = await this.repos.questionnaires.versions(actor.orgId, q.id);
    return { ...q, versions, check: checked(issues) };
  }

  /**
   * Imports a file: a new questionnaire, or the new draft of the project's questionnaire with
   * the same code. The document must have the format's shape (else 400 naming each question);
   * whether it would publish is reported, not required — drafts may be work in progress.
   */
  async import(actor: Principal, projectCode: string, json: unknown) {
    assertCan(actor, 'scripts:manage');
    const project = await this.project(actor, projectCode);
    const parsed = parseQuestionnaire(json);
    if (!parsed.ok) throw invalid('the file is not an outdial.questionnaire/1 document', { errors: parsed.issues });
    const draft: QuestionnaireInput = parsed.input;
    const now = this.clock.now();
    const { row, created } = await this.repos.transaction(async (tx) => {
      const existing = await tx.questionnaires.getByCode(actor.orgId, project.id, draft.code);
      const row = existing
        ? await tx.questionnaires.saveDraft(actor.orgId, existing.id, draft.title, draft, now)
        : await tx.questionnaires.create({
            orgId: actor.orgId,
            projectId: project.id,
            code: draft.code,
            title: draft.title,
            draft,
            createdBy: actor.userId,
            at: now,
          });
      if (!row) throw new AppError('conflict', `questionnaire "${draft.code}" changed meanwhile; try again`);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: existing ? 'questionnaire.draft_saved' : 'questionnaire.created',
        subjectType: 'questionnaire',
        subjectId: row.id,
        details: { project: project.code, code: draft.code, questions: draft.questions.length },
      });
      return { row, created: !existing };
    });
    return { questionnaire: await this.detail(actor, row), created };
  }

  private async own(actor: Principal, id: string): Promise<QuestionnaireRow> {
    const q = await this.repos.questionnaires.get(actor.orgId, id);
    if (!q) throw notFound('questionnaire');
    return q;
  }

  async get(actor: Principal, id: string) {
    assertCan(actor, 'projects:read');
    return this.detail(actor, await this.own(actor, id));
  }

  /** The draft, or a published version, as a file in the exchange format. */
  async document(actor: Principal, id: string, version?: number): Promise<QuestionnaireInput> {
    assertCan(actor, 'projects:read');
    const q = await this.own(actor, id);
    if (version === undefined) return q.draft;
    const v = await this.repos.questionnaires.version(actor.orgId, id, version);
    if (!v) throw notFound(`version ${version} of questionnaire "${q.code}"`);
    return v.document;
  }

  async version(actor: Principal, id: string, version: number): Promise<QuestionnaireVersionRow> {
    assertCan(actor, 'projects:read');
    await this.own(actor, id);
    const v = await this.repos.questionnaires.version(actor.orgId, id, version);
    if (!v) throw notFound(`version ${version}`);
    return v;
  }

  /**
   * Publishes the draft as the next version, complete (bank questions copied in) and checked:
   * refused with every problem, each naming its question. A project's first published
   * questionnaire becomes the one its calls use.
   */
  async publish(actor: Principal, id: string) {
    assertCan(actor, 'scripts:manage');
    const q = await this.own(actor, id);
    const fields = (await this.repos.projects.fields(q.projectId)).map(fieldInfo);
    const { doc, issues } = checkQuestionnaire(q.draft, { fields, bank: await this.bank(actor.orgId) });
    if (issues.length || !doc)
      throw invalid(`questionnaire "${q.code}" cannot be published: ${issues.length} problem(s)`, { errors: issues });
    const now = this.clock.now();
    return this.repos.transaction(async (tx) => {
      const v = await tx.questionnaires.publish({
        orgId: actor.orgId,
        questionnaireId: q.id,
        document: doc,
        publishedBy: actor.userId,
        at: now,
      });
      let active = q.active;
      if (!active && !(await tx.questionnaires.activeVersion(actor.orgId, q.projectId))) {
        await tx.questionnaires.activate(actor.orgId, q.projectId, q.id);
        active = true;
      }
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'questionnaire.published',
        subjectType: 'questionnaire',
        subjectId: q.id,
        details: { code: q.code, version: v.version, active },
      });
      return { questionnaireId: q.id, version: v.version, publishedAt: v.publishedAt, active };
    });
  }

  /** Makes this the project's questionnaire; calls already under way keep the version they use. */
  async activate(actor: Principal, id: string): Promise<QuestionnaireRow> {
    assertCan(actor, 'scripts:manage');
    const q = await this.own(actor, id);
    if (q.latestVersion === null)
      throw new AppError('invalid_state', `questionnaire "${q.code}" has no published version yet: publish it first`, {
        reason: 'not_published',
      });
    await this.repos.transaction(async (tx) => {
      await tx.questionnaires.activate(actor.orgId, q.projectId, q.id);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'questionnaire.activated',
        subjectType: 'questionnaire',
        subjectId: q.id,
        details: { code: q.code, version: q.latestVersion },
      });
    });
    return this.own(actor, id);
  }

  // ---- the runtime over a call

  /**
   * The attempt, if this reader may work on it: agents their own calls (or the call the dialer
   * has just routed to them, `liveAgent`), others with calls:handle their organisation's.
   */
  private async attempt(actor: Principal, id: string, liveAgent = false): Promise<AttemptRow> {
    assertCan(actor, 'calls:handle');
    const a = await this.repos.attempts.get(id);
    if (!a || a.orgId !== actor.orgId) throw notFound('call attempt');
    if (actor.role === 'agent' && a.agentUserId !== actor.userId && !liveAgent) throw notFound('call attempt');
    return a;
  }

  /**
   * The version the call uses: the one it was pinned to, else the project's current one —
   * pinned now if `pin` (a live call, answers being saved), so the call keeps it to the end.
   */
  private async pinned(
    a: AttemptRow,
    repos: Repositories = this.repos,
    pin = true,
  ): Promise<{ row: CallAnswersRow; version: QuestionnaireVersionRow; code: string } | null> {
    const existing = await repos.questionnaires.answers(a.id);
    if (existing) {
      const version = await repos.questionnaires.versionById(a.orgId, existing.versionId);
      if (!version) throw new Error(`call ${a.id} is pinned to a missing questionnaire version ${existing.versionId}`);
      const q = await repos.questionnaires.get(a.orgId, version.questionnaireId);
      return { row: existing, version, code: q?.code ?? '' };
    }
    const current = await repos.questionnaires.activeVersion(a.orgId, a.projectId);
    if (!current) return null;
    if (!pin) {
      const row: CallAnswersRow = {
        attemptId: a.id,
        orgId: a.orgId,
        versionId: current.version.id,
        answers: {},
        complete: false,
        updatedBy: null,
        updatedAt: current.version.publishedAt,
      };
      return { row, version: current.version, code: current.questionnaire.code };
    }
    const row = await repos.questionnaires.pin(a.id, a.orgId, current.version.id, this.clock.now());
    const version =
      row.versionId === current.version.id
        ? current.version
        : await repos.questionnaires.versionById(a.orgId, row.versionId);
    return { row, version: version!, code: current.questionnaire.code };
  }

  private async contact(a: AttemptRow): Promise<ContactRow> {
    const c = await this.repos.contacts.get(a.orgId, a.contactId);
    if (!c) throw notFound('contact');
    return c;
  }

  private state(
    a: AttemptRow,
    pinned: { version: QuestionnaireVersionRow; code: string },
    facts: ContactFacts,
    answers: Readonly<Record<string, AnswerValue>>,
  ): ScriptState {
    const doc = pinned.version.document;
    const w = walk(doc, facts, answers);
    const byKey = new Map(doc.questions.map((q) => [q.key, q] as const));
    const render = (q: Question) => renderQuestion(q, facts.fields);
    const lastAnswered = w.path.reduce((n, k, i) => (byKey.get(k)?.type === 'script' ? n : i), -1);
    const missing = missingAnswer(doc, facts, w.answers);
    return {
      attemptId: a.id,
      questionnaire: {
        id: pinned.version.questionnaireId,
        code: pinned.code,
        version: pinned.version.version,
        title: doc.title,
      },
      answers: w.answers,
      path: w.path,
      next: w.next ? render(byKey.get(w.next)!) : null,
      scripts: w.path.slice(lastAnswered + 1).map((k) => render(byKey.get(k)!)),
      ended: w.ended,
      progress: {
        done: w.path.filter((k) => byKey.get(k)?.type !== 'script').length,
        remaining: maxRemaining(doc, w.next),
      },
      complete: missing === null,
      missing: missing ? { question: missing.question, message: missing.message } : null,
    };
  }

  /** The script of a call as it stands (null: the project has no questionnaire). */
  async script(actor: Principal, attemptId: string, opts: { liveAgent?: boolean } = {}): Promise<ScriptState | null> {
    const a = await this.attempt(actor, attemptId, opts.liveAgent);
    // Looking at a call that is over (with no answers) does not tie it to today's version.
    const pinned = await this.pinned(a, this.repos, a.endedAt === null);
    if (!pinned) return null;
    return this.state(a, pinned, contactFacts(await this.contact(a)), pinned.row.answers);
  }

  /**
   * Validates answers against the call's version (types, options, the path this contact and
   * these answers take) — throws 400 naming each wrong question.
   */
  private validate(
    doc: QuestionnaireDoc,
    facts: ContactFacts,
    answers: Readonly<Record<string, unknown>>,
  ): { values: Record<string, AnswerValue>; complete: boolean } {
    const { walk: w, issues } = checkAnswers(doc, facts, answers);
    if (issues.length) throw invalid(`${issues.length} answer(s) do not fit the questionnaire`, { errors: issues });
    return { values: w.answers, complete: missingAnswer(doc, facts, w.answers) === null };
  }

  /** Saves a call's answers so far (the whole set), validated; returns the script's next step. */
  async saveAnswers(
    actor: Principal,
    attemptId: string,
    answers: Readonly<Record<string, unknown>>,
    opts: { liveAgent?: boolean } = {},
  ): Promise<ScriptState> {
    const a = await this.attempt(actor, attemptId, opts.liveAgent);
    const pinned = await this.pinned(a);
    if (!pinned)
      throw new AppError('invalid_state', 'the project has no questionnaire, so this call has no answers to record', {
        reason: 'no_questionnaire',
      });
    const facts = contactFacts(await this.contact(a));
    const { values, complete } = this.validate(pinned.version.document, facts, answers);
    await this.repos.questionnaires.saveAnswers(a.id, values, complete, actor.userId, this.clock.now());
    return this.state(a, pinned, facts, values);
  }

  /**
   * For a disposition, inside its transaction: the answers it brings (or those saved before)
   * validated against the call's version and stored; `required` demands every required
   * question on the path answered. Returns the answers recorded with the disposition.
   */
  async forDisposition(
    tx: Repositories,
    a: AttemptRow,
    given: Readonly<Record<string, unknown>> | undefined,
    required: boolean,
    by: string,
  ): Promise<Record<string, AnswerValue>> {
    const pinned = await this.pinned(a, tx);
    if (!pinned) {
      if (given && Object.keys(given).length > 0)
        throw invalid("the project has no questionnaire, so the call's answers cannot be recorded", {
          field: 'answers',
          reason: 'no_questionnaire',
        });
      return {};
    }
    const contact = await tx.contacts.get(a.orgId, a.contactId);
    if (!contact) throw notFound('contact');
    const facts = contactFacts(contact);
    const { values, complete } = this.validate(pinned.version.document, facts, given ?? pinned.row.answers);
    if (required && !complete) {
      const m = missingAnswer(pinned.version.document, facts, values)!;
      throw invalid(`this disposition needs the questionnaire answered: ${m.message}`, {
        errors: [m],
        reason: 'answers_required',
      });
    }
    if (given) await tx.questionnaires.saveAnswers(a.id, values, complete, by, this.clock.now());
    return values;
  }

  /** The answers of a call for `GET /attempts/{id}` (null: none recorded). */
  async answersView(a: AttemptRow): Promise<CallAnswersView | null> {
    const row = await this.repos.questionnaires.answers(a.id);
    if (!row) return null;
    const v = await this.repos.questionnaires.versionById(a.orgId, row.versionId);
    if (!v) return null;
    const q = await this.repos.questionnaires.get(a.orgId, v.questionnaireId);
    return {
      questionnaireId: v.questionnaireId,
      code: q?.code ?? '',
      version: v.version,
      values: row.answers,
      complete: row.complete,
      updatedAt: row.updatedAt,
    };
  }

  // ---- knowledge prompts

  async knowledge(actor: Principal, projectCode: string): Promise<KnowledgeRule[]> {
    assertCan(actor, 'projects:read');
    return this.repos.questionnaires.knowledge((await this.project(actor, projectCode)).id);
  }

  async replaceKnowledge(
    actor: Principal,
    projectCode: string,
    rules: readonly KnowledgeRule[],
  ): Promise<KnowledgeRule[]> {
    assertCan(actor, 'scripts:manage');
    const project = await this.project(actor, projectCode);
    rules.forEach((r, i) => {
      if (r.keywords.every((k) => k.trim() === ''))
        throw invalid(`rule ${i + 1} has no keyword`, { field: `rules.${i}.keywords` });
      if (blank(r.title) || blank(r.body))
        throw invalid(`rule ${i + 1} needs a title and a text (zh and/or en)`, { field: `rules.${i}` });
    });
    await this.repos.transaction(async (tx) => {
      await tx.questionnaires.replaceKnowledge(actor.orgId, project.id, rules);
      await tx.audit.append({
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: 'knowledge.replaced',
        subjectType: 'project',
        subjectId: project.id,
        details: { rules: rules.length },
      });
    });
    return this.repos.questionnaires.knowledge(project.id);
  }

  /**
   * A line of the call's transcript or notes: the project's prompts whose keywords it holds.
   * Those not yet shown during this call are pushed to the call's agent.
   */
  async transcript(
    actor: Principal,
    attemptId: string,
    text: string,
    opts: { liveAgent?: boolean } = {},
  ): Promise<{ matched: KnowledgeRule[]; pushed: boolean }> {
    const a = await this.attempt(actor, attemptId, opts.liveAgent);
    const matched = matchKnowledge(await this.repos.questionnaires.knowledge(a.projectId), text);
    const agentId = a.agentUserId ?? (actor.role === 'agent' ? actor.userId : null);
    let seen = this.shown.get(a.id);
    if (!seen) {
      if (this.shown.size >= SHOWN_CAP) this.shown.delete(this.shown.keys().next().value!);
      seen = new Set();
      this.shown.set(a.id, seen);
    }
    const fresh = matched.filter((m) => !seen.has(JSON.stringify(m.title)));
    for (const m of fresh) seen.add(JSON.stringify(m.title));
    if (fresh.length && agentId)
      this.events.publish({
        type: 'KnowledgeMatched',
        at: this.clock.now().getTime(),
        attemptId: a.id,
        agentId,
        prompts: fresh,
      });
    return { matched, pushed: fresh.length > 0 && agentId !== null };
  }
}

const blank = (t: LocalText) => !(t.zh?.trim() || t.en?.trim());

/** A question as the workstation shows it: the contact's placeholders filled in. */
export function renderQuestion(q: Question, fields: Readonly<Record<string, FieldValue | undefined>>) {
  return {
    key: q.key,
    type: q.type,
    text: renderText(q.text, fields),
    ...(q.hint ? { hint: renderText(q.hint, fields) } : {}),
    ...(q.options ? { options: q.options.map((o) => ({ value: o.value, label: renderText(o.label, fields) })) } : {}),
    required: Boolean(q.required),
    ...(q.min !== undefined ? { min: q.min } : {}),
    ...(q.max !== undefined ? { max: q.max } : {}),
    ...(q.maxLength !== undefined ? { maxLength: q.maxLength } : {}),
    ...(q.category !== undefined ? { category: q.category } : {}),
  };
}
