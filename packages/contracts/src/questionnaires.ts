import { Type, type Static } from 'typebox';
import { DateTime, IdParams, Nullable, ProjectCodeParams, strict, Uuid } from './common.ts';
import { operation } from './operation.ts';
import {
  BankCode,
  LocalText,
  QuestionKey,
  QuestionnaireDocument,
  QuestionOption,
  QuestionType,
  questionBody,
} from './questionnaire-format.ts';

/**
 * Questionnaires and scripts (问卷管理): the organisation's question bank, questionnaires per
 * project (a draft in the exchange format, immutable published versions), the workstation's
 * runtime over a call, and knowledge prompts. docs/questionnaires.md explains the format.
 */

export { QuestionnaireDocument } from './questionnaire-format.ts';

export const Issue = Type.Object({
  question: Nullable(Type.String({ description: 'the question the problem is in; null: the whole document' })),
  code: Type.String({
    description: 'stable: unknown_target, cycle, unreachable, unknown_field, answer_not_on_path, …',
  }),
  message: Type.String(),
});
export const CheckResult = Type.Object({ valid: Type.Boolean(), errors: Type.Array(Issue) });
export type CheckResult = Static<typeof CheckResult>;

/** The linter and the import take any JSON: the service checks it against the format and names the question of each problem. */
const AnyDocument = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'an outdial.questionnaire/1 document (schema: QuestionnaireDocument). Checked in full by the service, which answers 400 validation_failed with details.errors [{question, code, message}] — the same errors as `outdial questionnaire check`.',
  },
);

// ---- question bank
export const BankQuestion = Type.Object({
  code: BankCode,
  type: QuestionType,
  text: LocalText,
  ...questionBody,
  category: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type BankQuestion = Static<typeof BankQuestion>;

const bankFields = {
  type: QuestionType,
  text: LocalText,
  ...questionBody,
  category: Type.Optional(Type.String({ maxLength: 40 })),
};
export const CreateBankQuestionBody = Type.Object({ code: BankCode, ...bankFields }, strict);
export const UpdateBankQuestionBody = Type.Object(bankFields, strict);

export const listBankQuestions = operation(
  'GET',
  '/question-bank',
  {
    operationId: 'listBankQuestions',
    tags: ['questionnaires'],
    summary:
      "The organisation's question bank (题库): reusable questions by category (核身, 开头语, product, closing…)",
    querystring: Type.Object({ category: Type.Optional(Type.String({ maxLength: 40 })) }, strict),
    response: { 200: Type.Object({ items: Type.Array(BankQuestion) }) },
  },
  [403],
);

export const createBankQuestion = operation(
  'POST',
  '/question-bank',
  {
    operationId: 'createBankQuestion',
    tags: ['questionnaires'],
    summary: 'Add a question to the bank; questionnaires take it with {"key":…,"bank":CODE} (audited)',
    body: CreateBankQuestionBody,
    response: { 201: BankQuestion },
  },
  [403, 409],
);

export const updateBankQuestion = operation(
  'PUT',
  '/question-bank/:code',
  {
    operationId: 'updateBankQuestion',
    tags: ['questionnaires'],
    summary: 'Change a bank question; published versions keep the copy they were published with (audited)',
    params: Type.Object({ code: BankCode }, strict),
    body: UpdateBankQuestionBody,
    response: { 200: BankQuestion },
  },
  [403, 404],
);

// ---- questionnaires
export const VersionSummary = Type.Object({
  version: Type.Integer(),
  publishedAt: DateTime,
  publishedBy: Nullable(Uuid),
});

export const QuestionnaireSummary = Type.Object({
  id: Uuid,
  projectId: Uuid,
  code: Type.String(),
  title: LocalText,
  active: Type.Boolean({ description: "the questionnaire the project's calls use (its latest version)" }),
  latestVersion: Nullable(Type.Integer()),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const Questionnaire = Type.Object({
  ...QuestionnaireSummary.properties,
  draft: QuestionnaireDocument,
  versions: Type.Array(VersionSummary),
  check: CheckResult,
});
export type Questionnaire = Static<typeof Questionnaire>;

export const listQuestionnaires = operation(
  'GET',
  '/projects/:code/questionnaires',
  {
    operationId: 'listQuestionnaires',
    tags: ['questionnaires'],
    summary: "A project's questionnaires",
    params: ProjectCodeParams,
    response: { 200: Type.Object({ items: Type.Array(QuestionnaireSummary) }) },
  },
  [403, 404],
);

export const importQuestionnaire = operation(
  'POST',
  '/projects/:code/questionnaires',
  {
    operationId: 'importQuestionnaire',
    tags: ['questionnaires'],
    summary:
      "Import a questionnaire file (outdial.questionnaire/1): a new questionnaire (201), or the new draft of the one with its code (200). The draft must have the format's shape; whether it would publish is in `check` (audited).",
    params: ProjectCodeParams,
    body: AnyDocument,
    response: { 200: Questionnaire, 201: Questionnaire },
  },
  [403, 404],
);

export const checkQuestionnaire = operation(
  'POST',
  '/projects/:code/questionnaires/check',
  {
    operationId: 'checkQuestionnaire',
    tags: ['questionnaires'],
    summary:
      "Lint a questionnaire against the project's fields and the organisation's bank without saving it: every problem, each naming its question",
    params: ProjectCodeParams,
    body: AnyDocument,
    response: { 200: CheckResult },
  },
  [403, 404],
);

export const getQuestionnaire = operation(
  'GET',
  '/questionnaires/:id',
  {
    operationId: 'getQuestionnaire',
    tags: ['questionnaires'],
    summary: 'A questionnaire: its draft, whether the draft would publish, its published versions',
    params: IdParams,
    response: { 200: Questionnaire },
  },
  [403, 404],
);

export const exportQuestionnaire = operation(
  'GET',
  '/questionnaires/:id/document',
  {
    operationId: 'exportQuestionnaire',
    tags: ['questionnaires'],
    summary:
      'Export as a file in the exchange format: the draft, or a published version (complete, bank questions filled in)',
    params: IdParams,
    querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) }, strict),
    response: { 200: QuestionnaireDocument },
  },
  [403, 404],
);

export const publishQuestionnaire = operation(
  'POST',
  '/questionnaires/:id/publish',
  {
    operationId: 'publishQuestionnaire',
    tags: ['questionnaires'],
    summary:
      "Publish the draft as the next immutable version. Refused (400, details.errors naming each question) unless it passes every check: jump targets, cycles, reachability, fields, answers on the path, options. The project's first published questionnaire becomes its active one (audited).",
    params: IdParams,
    response: {
      201: Type.Object({
        questionnaireId: Uuid,
        version: Type.Integer(),
        publishedAt: DateTime,
        active: Type.Boolean(),
      }),
    },
  },
  [403, 404],
);

export const activateQuestionnaire = operation(
  'POST',
  '/questionnaires/:id/activate',
  {
    operationId: 'activateQuestionnaire',
    tags: ['questionnaires'],
    summary:
      "Make this the questionnaire the project's calls use (its latest version). Calls already under way keep the version they started with (audited).",
    params: IdParams,
    response: { 200: QuestionnaireSummary },
  },
  [403, 404, 409],
);

export const getQuestionnaireVersion = operation(
  'GET',
  '/questionnaires/:id/versions/:version',
  {
    operationId: 'getQuestionnaireVersion',
    tags: ['questionnaires'],
    summary: 'One published version as it was published (never changes)',
    params: Type.Object({ id: Uuid, version: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, strict),
    response: {
      200: Type.Object({ ...VersionSummary.properties, questionnaireId: Uuid, document: QuestionnaireDocument }),
    },
  },
  [403, 404],
);

// ---- the runtime over a call
/**
 * Question key → answer: an option's value (single), the chosen values (multiple), text, a
 * number (number, rating), a date "YYYY-MM-DD"; null = left blank. The values are checked by the
 * service against the question's type (a schema union here would let the HTTP layer's type
 * coercion turn 4 into "4" before the check).
 */
export const Answers = Type.Record(
  QuestionKey,
  Type.Unsafe<string | number | string[] | null>({
    description: 'an option value, the chosen values, text, a number, a date YYYY-MM-DD, or null (blank)',
  }),
  { maxProperties: 500 },
);

export const RenderedQuestion = Type.Object({
  key: Type.String(),
  type: QuestionType,
  text: LocalText,
  hint: Type.Optional(LocalText),
  options: Type.Optional(Type.Array(QuestionOption)),
  required: Type.Boolean(),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  maxLength: Type.Optional(Type.Integer()),
  category: Type.Optional(Type.String()),
});

export const ScriptState = Type.Object({
  attemptId: Uuid,
  questionnaire: Type.Object({ id: Uuid, code: Type.String(), version: Type.Integer(), title: LocalText }),
  answers: Answers,
  path: Type.Array(Type.String(), { description: 'the questions shown and passed, in order' }),
  /** The shown question waiting for its answer, with the contact's placeholders filled in. */
  next: Nullable(RenderedQuestion),
  /** Script texts the walk passed since the last question that is answered (to read aloud). */
  scripts: Type.Array(RenderedQuestion),
  ended: Type.Boolean(),
  progress: Type.Object({
    done: Type.Integer(),
    remaining: Type.Integer({ description: 'the most questions left on any path' }),
  }),
  complete: Type.Boolean({ description: 'every required question on the path answered, to the end' }),
  missing: Nullable(Type.Object({ question: Type.String(), message: Type.String() })),
});
export type ScriptState = Static<typeof ScriptState>;

export const getCallScript = operation(
  'GET',
  '/attempts/:id/script',
  {
    operationId: 'getCallScript',
    tags: ['calls'],
    summary:
      "The workstation's script for a call: the next question (rendered for the contact), progress, the answers so far. The call keeps the questionnaire version it first used. null when the project has no questionnaire.",
    params: IdParams,
    response: { 200: Nullable(ScriptState) },
  },
  [403, 404],
);

export const saveCallAnswers = operation(
  'PUT',
  '/attempts/:id/answers',
  {
    operationId: 'saveCallAnswers',
    tags: ['calls'],
    summary:
      "Save the call's answers so far (replacing the earlier set): each validated against the call's questionnaire version, and only answers on the path this contact and these answers take (400 naming the question otherwise). Returns the script's next step.",
    params: IdParams,
    body: Type.Object({ answers: Answers }, strict),
    response: { 200: ScriptState },
  },
  [403, 404, 409],
);

export const CallAnswers = Type.Object({
  questionnaireId: Uuid,
  code: Type.String(),
  version: Type.Integer(),
  values: Answers,
  complete: Type.Boolean(),
  updatedAt: DateTime,
});
export type CallAnswers = Static<typeof CallAnswers>;

// ---- knowledge prompts
export const KnowledgeRule = Type.Object(
  {
    keywords: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 50 }),
    title: LocalText,
    body: LocalText,
  },
  strict,
);
export const KnowledgePrompt = Type.Object({ title: LocalText, body: LocalText, keywords: Type.Array(Type.String()) });

export const getKnowledge = operation(
  'GET',
  '/projects/:code/knowledge',
  {
    operationId: 'getKnowledge',
    tags: ['questionnaires'],
    summary: "A project's knowledge prompts (知识提示): keyword rules shown to the agent when a keyword comes up",
    params: ProjectCodeParams,
    response: { 200: Type.Object({ rules: Type.Array(KnowledgeRule) }) },
  },
  [403, 404],
);

export const replaceKnowledge = operation(
  'PUT',
  '/projects/:code/knowledge',
  {
    operationId: 'replaceKnowledge',
    tags: ['questionnaires'],
    summary: 'Replace the knowledge prompts (e.g. 退款 → the refund policy and the retention offer) (audited)',
    params: ProjectCodeParams,
    body: Type.Object({ rules: Type.Array(KnowledgeRule, { maxItems: 500 }) }, strict),
    response: { 200: Type.Object({ rules: Type.Array(KnowledgeRule) }) },
  },
  [403, 404],
);

export const postTranscript = operation(
  'POST',
  '/attempts/:id/transcript',
  {
    operationId: 'postTranscript',
    tags: ['calls'],
    summary:
      "A line of the call's transcript (from a speech-to-text feed) or of the agent's notes: matched against the project's knowledge prompts; new matches are pushed to the agent's connection as a `knowledge` message",
    params: IdParams,
    body: Type.Object(
      {
        text: Type.String({ minLength: 1, maxLength: 4000 }),
        speaker: Type.Optional(Type.Union([Type.Literal('customer'), Type.Literal('agent')])),
      },
      strict,
    ),
    response: { 200: Type.Object({ matched: Type.Array(KnowledgePrompt), pushed: Type.Boolean() }) },
  },
  [403, 404],
);
