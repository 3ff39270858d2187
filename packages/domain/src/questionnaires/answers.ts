import { isIsoDate } from './validate.ts';
import { walk, type WalkResult } from './walk.ts';
import type { AnswerValue, ContactFacts, Question, QuestionnaireDoc } from './types.ts';

/** The longest text answer unless the question says otherwise. */
export const DEFAULT_TEXT_MAX = 2000;

export type AnswerErrorCode =
  'unknown_question' | 'not_answerable' | 'invalid_answer' | 'required' | 'not_on_path' | 'answer_missing';

export interface AnswerIssue {
  question: string;
  code: AnswerErrorCode;
  message: string;
}

/** One answer against its question's type; null when it fits. */
export function checkAnswer(q: Question, v: unknown): AnswerIssue | null {
  const bad = (message: string): AnswerIssue => ({ question: q.key, code: 'invalid_answer', message });
  if (q.type === 'script')
    return { question: q.key, code: 'not_answerable', message: `${q.key} is script text, never answered` };
  if (v === null)
    return q.required
      ? { question: q.key, code: 'required', message: `${q.key} is required: it cannot be left blank` }
      : null;
  const values = (q.options ?? []).map((o) => o.value);
  switch (q.type) {
    case 'single':
      if (typeof v !== 'string') return bad(`${q.key} takes one of ${values.join(', ')}`);
      if (!values.includes(v)) return bad(`"${v}" is not an option of ${q.key} (${values.join(', ')})`);
      return null;
    case 'multiple': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
        return bad(`${q.key} takes a list of its options (${values.join(', ')})`);
      const list = v as string[];
      const unknown = list.filter((x) => !values.includes(x));
      if (unknown.length) return bad(`${unknown.map((x) => `"${x}"`).join(', ')} not among the options of ${q.key}`);
      if (new Set(list).size !== list.length) return bad(`${q.key}: an option is chosen twice`);
      if (q.required && list.length === 0)
        return { question: q.key, code: 'required', message: `${q.key} is required: choose at least one option` };
      return null;
    }
    case 'text': {
      if (typeof v !== 'string') return bad(`${q.key} takes text`);
      const max = q.maxLength ?? DEFAULT_TEXT_MAX;
      if (v.length > max) return bad(`${q.key} takes at most ${max} characters (got ${v.length})`);
      if (q.required && v.trim() === '')
        return { question: q.key, code: 'required', message: `${q.key} is required: the text is empty` };
      return null;
    }
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad(`${q.key} takes a number`);
      if (q.min !== undefined && v < q.min) return bad(`${q.key} is at least ${q.min} (got ${v})`);
      if (q.max !== undefined && v > q.max) return bad(`${q.key} is at most ${q.max} (got ${v})`);
      return null;
    case 'rating': {
      const min = q.min ?? 1;
      const max = q.max ?? 5;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
        return bad(`${q.key} takes a whole number from ${min} to ${max}`);
      return null;
    }
    case 'date':
      if (typeof v !== 'string' || !isIsoDate(v)) return bad(`${q.key} takes a date written YYYY-MM-DD`);
      return null;
  }
}

export interface CheckedAnswers {
  /** The answers on the path, typed. */
  walk: WalkResult;
  issues: AnswerIssue[];
}

/**
 * Answers given for a call, checked against the questionnaire version it uses: every key a
 * question of it, every value of the question's type, and only answers on the path this contact
 * and these answers walk (an answer for a branch not taken is refused, naming the question, so
 * nothing stored contradicts the path).
 */
export function checkAnswers(
  doc: QuestionnaireDoc,
  facts: ContactFacts,
  given: Readonly<Record<string, unknown>>,
): CheckedAnswers {
  const byKey = new Map(doc.questions.map((q) => [q.key, q] as const));
  const issues: AnswerIssue[] = [];
  const typed: Record<string, AnswerValue> = {};
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    const q = byKey.get(k);
    if (!q) {
      issues.push({ question: k, code: 'unknown_question', message: `"${k}" is no question of this questionnaire` });
      continue;
    }
    const problem = checkAnswer(q, v);
    if (problem) issues.push(problem);
    else typed[k] = v as AnswerValue;
  }
  const w = walk(doc, facts, typed);
  // A wrong answer cuts the path short: only when every answer fits is "not on the path" meaningful.
  if (issues.length === 0)
    for (const k of w.unused)
      issues.push({
        question: k,
        code: 'not_on_path',
        message: `${k} is not on this call's path (${w.path.join(' → ') || 'nothing asked yet'}); leave its answer out`,
      });
  return { walk: w, issues };
}

/**
 * Before a disposition that needs answers: every question shown on the path is answered (an
 * optional one may stay blank), to the end. Returns the question still waiting, if any.
 */
export function missingAnswer(
  doc: QuestionnaireDoc,
  facts: ContactFacts,
  answers: Readonly<Record<string, AnswerValue>>,
): AnswerIssue | null {
  const w = walk(doc, facts, answers, { optionalAsBlank: true });
  if (w.ended) return null;
  const key = w.next ?? w.broken?.question ?? '?';
  return { question: key, code: 'answer_missing', message: `${key} is required and has no answer yet` };
}

/**
 * An answer typed on a command line (`--answer key=value`), read as the question's type: a
 * number question's "65" is 65, a multiple choice's "a,b" is ["a","b"], an empty value is
 * blank. What does not read as the type is kept as text, so the check names it.
 */
export function answerFromText(q: Question | undefined, raw: string): AnswerValue {
  if (raw === '') return null;
  switch (q?.type) {
    case 'number':
    case 'rating': {
      const n = Number(raw.trim());
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'multiple':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return raw;
  }
}
