import type { LocalText, Question, QuestionType, QuestionnaireDoc, QuestionnaireIssue } from './types.ts';

/** A question kept in the organisation's question bank (题库), reused by code across questionnaires. */
export type BankQuestion = Omit<Question, 'key' | 'next' | 'showIf' | 'bank'> & { code: string };

/** A question as written in a file: `type` and `text` may come from the bank instead. */
export type QuestionInput = Omit<Question, 'type' | 'text'> & {
  type?: QuestionType | undefined;
  text?: LocalText | undefined;
};

/** A questionnaire as written in a file (before the bank fills in its questions). */
export type QuestionnaireInput = Omit<QuestionnaireDoc, 'questions'> & { questions: QuestionInput[] };

/**
 * Completes the questions that name a bank question (`"bank": CODE`) from the bank: what the
 * questionnaire gives itself (its key, conditions and jumps, and any text or option it
 * overrides) wins; the rest comes from the bank. Done before validation and when a version is
 * published, so a published version is a complete copy that later bank edits do not change.
 * `bank` null: no bank is at hand (the CLI without --project).
 */
export function resolveBank(
  input: QuestionnaireInput,
  bank: ReadonlyMap<string, BankQuestion> | null,
): { doc: QuestionnaireDoc; issues: QuestionnaireIssue[] } {
  const issues: QuestionnaireIssue[] = [];
  const questions = input.questions.map((q): Question => {
    let merged: QuestionInput = q;
    if (q.bank !== undefined) {
      const b = bank?.get(q.bank);
      if (!b)
        issues.push({
          question: q.key,
          code: 'unknown_bank_question',
          message: bank
            ? `the question bank has no question "${q.bank}"`
            : `${q.key} takes "${q.bank}" from the question bank: give --project to read your organisation's bank`,
        });
      else {
        const { code: _code, ...from } = b;
        merged = { ...from, ...stripUndefined(q), key: q.key };
      }
    }
    const type = merged.type ?? 'script';
    const text = merged.text ?? {};
    if ((merged.type === undefined || merged.text === undefined) && (q.bank === undefined || bank?.get(q.bank)))
      issues.push({
        question: q.key,
        code: 'invalid_document',
        message: `${q.key} needs a type and a text (or "bank": a code from the question bank)`,
      });
    return { ...merged, type, text };
  });
  return { doc: { ...input, questions }, issues };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
