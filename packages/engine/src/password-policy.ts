import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonWords } from '@zxcvbn-ts/language-common';
import { dictionary as englishWords, translations } from '@zxcvbn-ts/language-en';
import { invalid } from './errors.ts';

export const MIN_PASSWORD_LENGTH = 8;
/** zxcvbn's score 2: "somewhat guessable" — resists throttled online guessing; 0–1 fall to it. */
const MIN_SCORE = 2;

let checker: ZxcvbnFactory | undefined;
/** Built on first use: the dictionaries are a few megabytes. */
function strength(): ZxcvbnFactory {
  checker ??= new ZxcvbnFactory({
    dictionary: { ...commonWords, ...englishWords },
    graphs: adjacencyGraphs,
    translations,
  });
  return checker;
}

/**
 * Refuses a password that is short, common or trivially guessable (a strength estimate made for
 * it: zxcvbn-ts, with common-password and English dictionaries, keyboard patterns, repeats,
 * sequences, dates — and the user's own name), saying why and what would help.
 */
export function checkNewPassword(password: string, userInputs: readonly string[] = []): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw invalid(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`, {
      field: 'password',
      reason: 'too_short',
    });
  const r = strength().check(password, [...userInputs]);
  if (r.score < MIN_SCORE) {
    const why = r.feedback.warning ?? 'it is easy to guess';
    const hint = r.feedback.suggestions.join(' ');
    throw invalid(`the password is too weak: ${why}${hint ? ` ${hint}` : ''}`, {
      field: 'password',
      reason: 'too_weak',
      score: r.score,
      warning: r.feedback.warning,
      suggestions: r.feedback.suggestions,
    });
  }
}
