import type { AnswerValue, CompareOp, Condition, ContactFacts, FieldValue, Scalar } from './types.ts';

/**
 * Evaluates the condition language (docs/questionnaires.md) — a tree walk over data, no eval.
 *
 * - `{tag: T}`: the contact has tag T.
 * - `{field: K, op, value}`: the contact's field K compared with `value`.
 * - `{answer: K, eq: V}` / `{answer: K, in: [..]}` / `{answer: K, op, value}`: the answer to K
 *   given so far on this path. For a multiple-choice answer, `eq`/`=` mean "V is among the chosen",
 *   `!=` "V is not", `in` "any chosen value is in the list".
 * - `all` / `any` / `not`.
 *
 * Comparisons are strict about types: a number compares with a number, a string with a string
 * (dates "YYYY-MM-DD" order as strings do); anything else is unequal and unordered. A missing
 * value (no field value, no answer, a blank answer) satisfies only `!=`.
 */
export function evaluate(c: Condition, facts: ContactFacts, answers: Readonly<Record<string, AnswerValue>>): boolean {
  if ('all' in c) return c.all.every((x) => evaluate(x, facts, answers));
  if ('any' in c) return c.any.some((x) => evaluate(x, facts, answers));
  if ('not' in c) return !evaluate(c.not, facts, answers);
  if ('tag' in c) return facts.tags.includes(c.tag);
  if ('field' in c) return compare(fieldValue(facts.fields[c.field]), c.op, c.value);
  const a = Object.prototype.hasOwnProperty.call(answers, c.answer) ? answers[c.answer] : undefined;
  if ('eq' in c) return compare(a, '=', c.eq);
  if ('in' in c) return compare(a, 'in', c.in);
  return compare(a, c.op, c.value);
}

function fieldValue(v: FieldValue | undefined): Scalar | undefined {
  return v === null || v === undefined ? undefined : v;
}

function same(a: Scalar, b: Scalar): boolean {
  return typeof a === typeof b && a === b;
}

function ordered(a: Scalar, op: '<' | '<=' | '>' | '>=', b: Scalar): boolean {
  if (typeof a !== typeof b || typeof a === 'boolean') return false;
  const x = a;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
}

/** `actual` (a value, the chosen values of a multiple choice, or nothing) against `expected`. */
export function compare(
  actual: Scalar | readonly string[] | null | undefined,
  op: CompareOp,
  expected: Scalar | readonly Scalar[],
): boolean {
  if (actual === undefined || actual === null) return op === '!=';
  const list = Array.isArray(expected) ? (expected as readonly Scalar[]) : null;
  if (Array.isArray(actual)) {
    const chosen = actual as readonly string[];
    switch (op) {
      case '=':
        return list === null && chosen.some((v) => same(v, expected as Scalar));
      case '!=':
        return list === null && !chosen.some((v) => same(v, expected as Scalar));
      case 'in':
        return list !== null && chosen.some((v) => list.some((e) => same(v, e)));
      default:
        return false;
    }
  }
  const a = actual as Scalar;
  switch (op) {
    case 'in':
      return list !== null && list.some((e) => same(a, e));
    case '=':
      return list === null && same(a, expected as Scalar);
    case '!=':
      return list === null && !same(a, expected as Scalar);
    default:
      return list === null && ordered(a, op, expected as Scalar);
  }
}

/** Every condition inside `c`, itself included, depth first. */
export function* leaves(c: Condition): Generator<Condition> {
  if ('all' in c) for (const x of c.all) yield* leaves(x);
  else if ('any' in c) for (const x of c.any) yield* leaves(x);
  else if ('not' in c) yield* leaves(c.not);
  else yield c;
}

/** How deeply `c` nests (a leaf is 1). */
export function depth(c: Condition): number {
  if ('all' in c) return 1 + Math.max(0, ...c.all.map(depth));
  if ('any' in c) return 1 + Math.max(0, ...c.any.map(depth));
  if ('not' in c) return 1 + depth(c.not);
  return 1;
}
