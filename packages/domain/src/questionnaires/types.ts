/**
 * Questionnaires and scripts (问卷/话术): the model of the exchange format
 * `outdial.questionnaire/1` (docs/questionnaires.md). Plain data, no I/O: the API, the CLI,
 * the workstation's runtime and the simulated agents all walk the same documents with the
 * same functions. The JSON Schema of the format is declared in packages/contracts
 * (questionnaires.ts) and mirrors these types.
 */

export const QUESTIONNAIRE_FORMAT = 'outdial.questionnaire/1';

/** The key a jump goes to when the questionnaire is over. */
export const END = 'end';

export type QuestionType = 'single' | 'multiple' | 'text' | 'number' | 'date' | 'rating' | 'script';

/** Text in Chinese and/or English (at least one). */
export interface LocalText {
  zh?: string | undefined;
  en?: string | undefined;
}

export interface Option {
  value: string;
  label: LocalText;
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';

export type Scalar = string | number | boolean;

/**
 * The condition language: data, never code. Tags and fields are the contact's; answers are
 * the ones given so far on the walked path.
 */
export type Condition =
  | { tag: string }
  | { field: string; op: CompareOp; value: Scalar | Scalar[] }
  | { answer: string; eq: Scalar }
  | { answer: string; in: Scalar[] }
  | { answer: string; op: CompareOp; value: Scalar | Scalar[] }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

/** One jump rule: when `if` holds (or is absent), go to `goto` (a question's key or "end"). */
export interface JumpRule {
  if?: Condition | undefined;
  goto: string;
}

export interface Question {
  key: string;
  type: QuestionType;
  text: LocalText;
  options?: Option[] | undefined;
  required?: boolean | undefined;
  /** Shown only when this holds; otherwise skipped (the walk follows its `next` with no answer for it). */
  showIf?: Condition | undefined;
  /** Ordered jump rules; the first that holds decides. None holds (or none given): the following question. */
  next?: JumpRule[] | undefined;
  /** `number`: bounds; `rating`: the scale (default 1 … 5). */
  min?: number | undefined;
  max?: number | undefined;
  /** `text`: the longest answer (default 2,000 characters). */
  maxLength?: number | undefined;
  /** A note for the agent, never read aloud. */
  hint?: LocalText | undefined;
  /** Category in the question bank (核身 identity, 开头语 opening, product, closing…). */
  category?: string | undefined;
  /** Taken from the organisation's question bank (its code): the bank fills what the question leaves out. */
  bank?: string | undefined;
}

export interface QuestionnaireDoc {
  format: typeof QUESTIONNAIRE_FORMAT;
  code: string;
  title: LocalText;
  description?: LocalText | undefined;
  /** The first question (default: the first in the list). */
  start?: string | undefined;
  questions: Question[];
}

/** An answer as stored: a choice's value, the chosen values, text, a number, a date "YYYY-MM-DD"; null = left blank. */
export type AnswerValue = string | number | string[] | null;

export type Answers = Readonly<Record<string, AnswerValue>>;

/** A contact field's value as conditions and placeholders see it. */
export type FieldValue = string | number | boolean | null;

/** What a walk knows about the contact. */
export interface ContactFacts {
  tags: readonly string[];
  fields: Readonly<Record<string, FieldValue | undefined>>;
}

/** A field a questionnaire may test or show: the contact's fixed fields and the project's custom ones. */
export interface FieldInfo {
  key: string;
  type: 'text' | 'number' | 'date' | 'enum' | 'boolean';
  options?: readonly string[] | undefined;
}

/** The contact's own fields every project has (besides its custom fields). */
export const FIXED_FIELDS: readonly FieldInfo[] = [
  { key: 'name', type: 'text' },
  { key: 'region', type: 'text' },
  { key: 'timezone', type: 'text' },
  { key: 'external_id', type: 'text' },
  { key: 'attempts', type: 'number' },
  { key: 'priority', type: 'number' },
];

/** A problem found in a questionnaire: the question it is about (null: the whole document), a stable code, words. */
export interface QuestionnaireIssue {
  question: string | null;
  code: QuestionnaireErrorCode;
  message: string;
}

export type QuestionnaireErrorCode =
  | 'invalid_json' // the file is not JSON at all
  | 'invalid_document' // the JSON does not have the format's shape
  | 'unsupported_format'
  | 'too_deep'
  | 'duplicate_key'
  | 'reserved_key'
  | 'unknown_start'
  | 'unknown_target'
  | 'cycle'
  | 'unreachable'
  | 'dead_rule'
  | 'unknown_field'
  | 'unknown_question'
  | 'answer_not_on_path'
  | 'not_answerable'
  | 'unknown_option'
  | 'type_mismatch'
  | 'out_of_range'
  | 'missing_options'
  | 'unexpected_options'
  | 'duplicate_option'
  | 'bad_range'
  | 'unknown_placeholder'
  | 'empty_text'
  | 'unknown_bank_question';
