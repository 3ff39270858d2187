import { evaluate } from './conditions.ts';
import { END, type AnswerValue, type ContactFacts, type Question, type QuestionnaireDoc } from './types.ts';

/** Where a walk stands. */
export interface WalkResult {
  /** The questions shown and passed, in order (answered, left blank, or script text read). */
  path: string[];
  /** The shown question still waiting for its answer; null when the walk ended. */
  next: string | null;
  ended: boolean;
  /** Questions whose `showIf` was false on the way. */
  skipped: string[];
  /** Answers given for questions that are not on the path (another branch): not part of this call's result. */
  unused: string[];
  /** The answers on the path (blank ones as null). */
  answers: Record<string, AnswerValue>;
  /** Set when the document cannot be walked (an unvalidated draft): the question where it broke. */
  broken?: { question: string; reason: 'unknown_target' | 'cycle' } | undefined;
}

export interface WalkOptions {
  /**
   * Treat a shown optional question without an answer as left blank and go on (the completeness
   * check before a disposition); by default the walk stops there, as the workstation's "next
   * question" does.
   */
  optionalAsBlank?: boolean | undefined;
}

/** The question the walk starts with. */
export function startKey(doc: QuestionnaireDoc): string {
  return doc.start ?? doc.questions[0]?.key ?? END;
}

/**
 * Where the walk goes after `q` (whether it was shown or skipped): the first rule whose `if`
 * holds, or that has none; with no rule holding (or no rules), the following question in the
 * list, and past the last one, the end.
 */
export function follow(
  doc: QuestionnaireDoc,
  index: number,
  facts: ContactFacts,
  answers: Readonly<Record<string, AnswerValue>>,
): string {
  const q = doc.questions[index]!;
  for (const r of q.next ?? []) if (!r.if || evaluate(r.if, facts, answers)) return r.goto;
  return doc.questions[index + 1]?.key ?? END;
}

/** No answer given in substance: null, no option chosen, or only spaces. */
export function isBlank(v: AnswerValue): boolean {
  return v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'string' && v.trim() === '');
}

const has = (o: Readonly<Record<string, unknown>>, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Walks the questionnaire for one contact with the answers given so far: the questions shown,
 * in order, until the first shown question without an answer, or the end. Conditions see only
 * the answers given on the path walked so far (an answer left over from another branch counts
 * for nothing), so the result depends on the path, never on stale input. Terminates on any
 * document: a question is never visited twice.
 */
export function walk(
  doc: QuestionnaireDoc,
  facts: ContactFacts,
  given: Readonly<Record<string, AnswerValue | undefined>>,
  opts: WalkOptions = {},
): WalkResult {
  const index = new Map<string, number>();
  doc.questions.forEach((q, i) => {
    if (!index.has(q.key)) index.set(q.key, i);
  });
  const path: string[] = [];
  const skipped: string[] = [];
  const answers: Record<string, AnswerValue> = {};
  const seen = new Set<string>();
  let cur = startKey(doc);
  let prev: string | null = null;
  const done = (next: string | null, broken?: WalkResult['broken']): WalkResult => {
    const onPath = new Set(path);
    const unused = Object.keys(given).filter((k) => given[k] !== undefined && !onPath.has(k));
    return { path, next, ended: next === null && !broken, skipped, unused, answers, ...(broken ? { broken } : {}) };
  };
  while (cur !== END) {
    const i = index.get(cur);
    if (i === undefined) return done(null, { question: prev ?? cur, reason: 'unknown_target' });
    if (seen.has(cur)) return done(null, { question: cur, reason: 'cycle' });
    seen.add(cur);
    const q: Question = doc.questions[i]!;
    const shown = !q.showIf || evaluate(q.showIf, facts, answers);
    if (shown) {
      if (q.type !== 'script') {
        const a = has(given, q.key) ? given[q.key] : undefined;
        const blankOk = !q.required;
        if (a === undefined || (!blankOk && isBlank(a))) {
          if (!(opts.optionalAsBlank && blankOk)) return done(q.key);
          answers[q.key] = null;
        } else answers[q.key] = a;
      }
      path.push(q.key);
    } else skipped.push(q.key);
    prev = cur;
    cur = follow(doc, i, facts, answers);
  }
  return done(null);
}

/** The jump targets a question can lead to, in the static graph (rules after an unconditional one never run). */
export function targets(doc: QuestionnaireDoc, index: number): string[] {
  const q = doc.questions[index]!;
  const out: string[] = [];
  for (const r of q.next ?? []) {
    out.push(r.goto);
    if (!r.if) return out;
  }
  out.push(doc.questions[index + 1]?.key ?? END);
  return out;
}

/**
 * The most questions a walk can still pass from `key` to the end (longest path in the jump
 * graph; the document must be acyclic): the workstation's progress is done ÷ (done + this).
 */
export function maxRemaining(doc: QuestionnaireDoc, key: string | null): number {
  if (key === null) return 0;
  const index = new Map(doc.questions.map((q, i) => [q.key, i] as const));
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const longest = (k: string): number => {
    if (k === END) return 0;
    const m = memo.get(k);
    if (m !== undefined) return m;
    const i = index.get(k);
    if (i === undefined || visiting.has(k)) return 0;
    visiting.add(k);
    let best = 0;
    for (const t of targets(doc, i)) best = Math.max(best, longest(t));
    visiting.delete(k);
    const q = doc.questions[i]!;
    const v = best + (q.type === 'script' ? 0 : 1);
    memo.set(k, v);
    return v;
  };
  return longest(key);
}
