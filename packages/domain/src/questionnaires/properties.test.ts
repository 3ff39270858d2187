import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, leaves } from './conditions.ts';
import { checkAnswers, missingAnswer } from './answers.ts';
import { validateQuestionnaire } from './validate.ts';
import { follow, startKey, walk } from './walk.ts';
import {
  END,
  type AnswerValue,
  type Condition,
  type ContactFacts,
  type FieldInfo,
  type Question,
  type QuestionnaireDoc,
  type QuestionType,
} from './types.ts';

/**
 * Generated questionnaires — mostly forward jumps (so many are valid), some backward jumps,
 * unknown targets, conditions on any question, field and tag — thrown at the validator and the
 * walker, with an independent oracle for what the validator promises.
 */
const FIELDS: FieldInfo[] = [
  { key: 'age', type: 'number' },
  { key: 'plan', type: 'enum', options: ['x', 'y'] },
];
const TYPES: QuestionType[] = ['single', 'multiple', 'text', 'number', 'date', 'rating', 'script'];
const OPTS = ['a', 'b', 'c'];

const scalar = fc.oneof(fc.constantFrom(...OPTS, 'x', 'y', 'zz'), fc.integer({ min: -2, max: 8 }), fc.boolean());
const op = fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'in' as const);

function condition(keys: string[]): fc.Arbitrary<Condition> {
  const { cond } = fc.letrec<{ cond: Condition }>((tie) => ({
    cond: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ tag: fc.constantFrom('t1', 't2') }),
      fc.record({
        field: fc.constantFrom('age', 'plan', 'nope'),
        op,
        value: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })),
      }),
      fc.record({ answer: fc.constantFrom(...keys, 'ghost'), eq: scalar }),
      fc.record({ answer: fc.constantFrom(...keys), in: fc.array(scalar, { maxLength: 3 }) }),
      fc.record({ answer: fc.constantFrom(...keys), op, value: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })) }),
      fc.record({ all: fc.array(tie('cond'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ any: fc.array(tie('cond'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ not: tie('cond') }),
    ),
  }));
  return cond;
}

const questionnaire: fc.Arbitrary<QuestionnaireDoc> = fc.integer({ min: 1, max: 8 }).chain((n) => {
  const keys = Array.from({ length: n }, (_, i) => `q${i}`);
  const question = (i: number): fc.Arbitrary<Question> =>
    fc
      .record(
        {
          type: fc.constantFrom(...TYPES),
          required: fc.boolean(),
          nOptions: fc.integer({ min: 1, max: 3 }),
          showIf: fc.option(condition(keys), { freq: 2 }),
          next: fc.option(
            fc.array(
              fc.record({
                if: fc.option(condition(keys), { freq: 2 }),
                // Forward mostly; sometimes anywhere, or nowhere.
                goto: fc.oneof(
                  { weight: 6, arbitrary: fc.constantFrom(...keys.slice(i + 1), END) },
                  { weight: 1, arbitrary: fc.constantFrom(...keys) },
                  { weight: 1, arbitrary: fc.constant('nowhere') },
                ),
              }),
              { maxLength: 3 },
            ),
            { freq: 2 },
          ),
        },
        { requiredKeys: ['type', 'required', 'nOptions'] },
      )
      .map(({ type, required, nOptions, showIf, next }) => {
        const q: Question = { key: keys[i]!, type, text: { en: `question ${i}` } };
        if (type === 'single' || type === 'multiple')
          q.options = OPTS.slice(0, nOptions).map((v) => ({ value: v, label: { en: v } }));
        if (type !== 'script') q.required = required;
        if (showIf) q.showIf = showIf;
        if (next) q.next = next.map((r) => (r.if ? { if: r.if, goto: r.goto } : { goto: r.goto }));
        return q;
      });
  return fc.tuple(...keys.map((_k, i) => question(i))).map((questions): QuestionnaireDoc => ({
    format: 'outdial.questionnaire/1',
    code: 'P',
    title: { en: 'P' },
    questions,
  }));
});

const facts: fc.Arbitrary<ContactFacts> = fc.record({
  tags: fc.subarray(['t1', 't2']),
  fields: fc.record({ age: fc.option(fc.integer({ min: 0, max: 9 })), plan: fc.option(fc.constantFrom('x', 'y')) }),
});

/** A fitting answer for every question (or none), from a seed per question. */
function answersFor(d: QuestionnaireDoc, seeds: number[]): Record<string, AnswerValue> {
  const out: Record<string, AnswerValue> = {};
  d.questions.forEach((q, i) => {
    const s = seeds[i % seeds.length] ?? 0;
    if (q.type === 'script' || s % 5 === 0) return;
    if (s % 7 === 0 && !q.required) {
      out[q.key] = null;
      return;
    }
    const opts = (q.options ?? []).map((o) => o.value);
    const v: Record<Exclude<QuestionType, 'script'>, AnswerValue> = {
      single: opts[s % opts.length] ?? null,
      multiple: opts.filter((_o, j) => (s >> j) & 1),
      text: `t${s}`,
      number: s % 9,
      date: `2026-01-0${(s % 9) + 1}`,
      rating: (s % 5) + 1,
    };
    out[q.key] = v[q.type];
  });
  return out;
}

/** Independent oracle for cycles: Kahn's topological sort fails to order every node iff a cycle exists. */
function hasCycle(d: QuestionnaireDoc): boolean {
  const index = new Map(d.questions.map((q, i) => [q.key, i]));
  const out = d.questions.map((q, i) => {
    const t: number[] = [];
    let always = false;
    for (const r of q.next ?? []) {
      if (index.has(r.goto)) t.push(index.get(r.goto)!);
      if (!r.if) {
        always = true;
        break;
      }
    }
    if (!always && i + 1 < d.questions.length) t.push(i + 1);
    return t;
  });
  const indeg = out.map(() => 0);
  out.forEach((ts) => ts.forEach((t) => indeg[t]!++));
  const queue = indeg.flatMap((v, i) => (v === 0 ? [i] : []));
  let seen = 0;
  while (queue.length) {
    const i = queue.pop()!;
    seen++;
    for (const t of out[i]!) if (--indeg[t]! === 0) queue.push(t);
  }
  return seen < d.questions.length;
}

const answerRefs = (c: Condition | undefined) =>
  c ? [...leaves(c)].flatMap((l) => ('answer' in l ? [l.answer] : [])) : [];

describe('questionnaire properties', () => {
  it('never throws, whatever the document; reports a cycle exactly when there is one', () => {
    fc.assert(
      fc.property(questionnaire, fc.boolean(), (d, withFields) => {
        const issues = validateQuestionnaire(d, withFields ? { fields: FIELDS } : {});
        expect(issues.some((i) => i.code === 'cycle')).toBe(hasCycle(d));
        for (const i of issues) expect(typeof i.message).toBe('string');
      }),
      { numRuns: 400 },
    );
  });

  it('walks any document to a stop, never visiting a question twice', () => {
    fc.assert(
      fc.property(questionnaire, facts, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (d, f, seeds) => {
        const w = walk(d, f, answersFor(d, seeds));
        expect(new Set([...w.path, ...w.skipped]).size).toBe(w.path.length + w.skipped.length);
        expect(w.ended).toBe(w.next === null && !w.broken);
      }),
      { numRuns: 400 },
    );
  });

  it('a document that publishes walks to its end for every contact and every full set of answers, and its conditions read only answers already passed', () => {
    let valid = 0;
    fc.assert(
      fc.property(questionnaire, facts, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (d, f, seeds) => {
        if (validateQuestionnaire(d, { fields: FIELDS }).length > 0) return;
        valid++;
        const given = answersFor(d, seeds);
        // Walk step by step, checking every condition's answers were passed before it is read.
        const index = new Map(d.questions.map((q, i) => [q.key, i]));
        const visited = new Set<string>();
        const answers: Record<string, AnswerValue> = {};
        let cur = startKey(d);
        for (let steps = 0; cur !== END; steps++) {
          expect(steps).toBeLessThanOrEqual(d.questions.length);
          const i = index.get(cur);
          expect(i).toBeDefined();
          const q = d.questions[i!]!;
          for (const k of answerRefs(q.showIf)) expect(visited.has(k), `${q.key}'s showIf reads ${k}`).toBe(true);
          visited.add(q.key);
          const shown = !q.showIf || evaluate(q.showIf, f, answers);
          if (shown && q.type !== 'script') answers[q.key] = given[q.key] ?? null;
          for (const r of q.next ?? []) for (const k of answerRefs(r.if)) expect(visited.has(k)).toBe(true);
          cur = follow(d, i!, f, answers);
        }
        // With every shown question answered (blank where allowed), the walk reaches the end.
        const full = walk(d, f, given, { optionalAsBlank: true });
        expect(full.broken).toBeUndefined();
        if (full.ended) expect(missingAnswer(d, f, given)).toBeNull();
        else expect(d.questions[index.get(full.next!)!]!.required).toBe(true);
        // What a walk keeps passes the answer check.
        const kept = walk(d, f, given).answers;
        expect(checkAnswers(d, f, kept).issues).toEqual([]);
      }),
      { numRuns: 1500 },
    );
    // The generator must actually produce publishable documents for this to mean anything.
    expect(valid).toBeGreaterThan(150);
  });
});
