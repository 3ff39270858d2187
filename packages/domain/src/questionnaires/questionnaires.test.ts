import { describe, expect, it } from 'vitest';
import {
  answerFromText,
  checkAnswers,
  evaluate,
  maxRemaining,
  missingAnswer,
  renderText,
  resolveBank,
  validateQuestionnaire,
  walk,
  type BankQuestion,
  type Condition,
  type FieldInfo,
  type Question,
  type QuestionnaireDoc,
  type QuestionnaireErrorCode,
} from './index.ts';

/** The issue's example, as written. */
const RENEW: QuestionnaireDoc = {
  format: 'outdial.questionnaire/1',
  code: 'RENEW',
  title: { zh: '续保回访', en: 'Renewal' },
  start: 'q1',
  questions: [
    {
      key: 'q1',
      type: 'single',
      text: { zh: '请问您是{name}本人吗？', en: 'Am I speaking to {name}?' },
      options: [
        { value: 'yes', label: { zh: '是', en: 'Yes' } },
        { value: 'no', label: { zh: '否', en: 'No' } },
      ],
      required: true,
      next: [{ if: { answer: 'q1', eq: 'no' }, goto: 'end' }, { goto: 'q2' }],
    },
    { key: 'q2', type: 'text', text: { zh: '…', en: '…' }, showIf: { tag: '上海' } },
  ],
};

const none = { tags: [], fields: {} };

const doc = (questions: Question[], extra: Partial<QuestionnaireDoc> = {}): QuestionnaireDoc => ({
  format: 'outdial.questionnaire/1',
  code: 'T',
  title: { en: 'T' },
  questions,
  ...extra,
});
const yesNo = [
  { value: 'yes', label: { en: 'Yes' } },
  { value: 'no', label: { en: 'No' } },
];
const codes = (d: QuestionnaireDoc, fields?: FieldInfo[]) =>
  validateQuestionnaire(d, { fields }).map((i) => `${i.question}:${i.code}`);

describe('the example from the issue', () => {
  it('is valid, with and without a project', () => {
    expect(validateQuestionnaire(RENEW)).toEqual([]);
    expect(validateQuestionnaire(RENEW, { fields: [] })).toEqual([]);
  });

  it('walks: waits for q1, ends on "no", asks q2 only of contacts tagged 上海', () => {
    expect(walk(RENEW, none, {})).toMatchObject({ path: [], next: 'q1', ended: false });
    expect(walk(RENEW, none, { q1: 'no' })).toMatchObject({ path: ['q1'], next: null, ended: true });
    expect(walk(RENEW, none, { q1: 'yes' })).toMatchObject({ path: ['q1'], next: null, ended: true, skipped: ['q2'] });
    expect(walk(RENEW, { tags: ['上海'], fields: {} }, { q1: 'yes' })).toMatchObject({
      path: ['q1'],
      next: 'q2',
      ended: false,
    });
    expect(walk(RENEW, { tags: ['上海'], fields: {} }, { q1: 'yes', q2: '好' })).toMatchObject({
      path: ['q1', 'q2'],
      ended: true,
    });
  });

  it('ignores an answer for a question the path did not take, and says so', () => {
    const w = walk(RENEW, { tags: ['上海'], fields: {} }, { q1: 'no', q2: 'left over' });
    expect(w).toMatchObject({ path: ['q1'], ended: true, unused: ['q2'] });
    expect(checkAnswers(RENEW, { tags: ['上海'], fields: {} }, { q1: 'no', q2: 'x' }).issues).toEqual([
      expect.objectContaining({ question: 'q2', code: 'not_on_path' }),
    ]);
  });

  it('renders placeholders from the contact', () => {
    expect(renderText(RENEW.questions[0]!.text, { name: '王伟' })).toEqual({
      zh: '请问您是王伟本人吗？',
      en: 'Am I speaking to 王伟?',
    });
    expect(renderText({ en: 'Hi {name}, { x } {1} {premium}' }, { premium: 1200.5 })).toEqual({
      en: 'Hi , { x } {1} 1200.5',
    });
  });
});

describe('conditions', () => {
  const facts = { tags: ['vip', '上海'], fields: { premium: 1200, product: '商业险', has_claim: true, note: null } };
  const answers = { q1: 'yes', q2: ['a', 'c'], q3: 42, q4: '2026-03-01' };
  const cases: [Condition, boolean][] = [
    [{ tag: 'vip' }, true],
    [{ tag: 'VIP' }, false],
    [{ field: 'premium', op: '>=', value: 1200 }, true],
    [{ field: 'premium', op: '>', value: 1200 }, false],
    [{ field: 'premium', op: '=', value: '1200' }, false], // strict types
    [{ field: 'product', op: 'in', value: ['交强险', '商业险'] }, true],
    [{ field: 'has_claim', op: '=', value: true }, true],
    [{ field: 'note', op: '=', value: 'x' }, false],
    [{ field: 'note', op: '!=', value: 'x' }, true], // missing satisfies only !=
    [{ field: 'absent', op: '<', value: 3 }, false],
    [{ answer: 'q1', eq: 'yes' }, true],
    [{ answer: 'q2', eq: 'c' }, true], // multiple: among the chosen
    [{ answer: 'q2', op: '!=', value: 'b' }, true],
    [{ answer: 'q2', in: ['b', 'c'] }, true],
    [{ answer: 'q2', in: ['b'] }, false],
    [{ answer: 'q3', op: '<', value: 50 }, true],
    [{ answer: 'q4', op: '>=', value: '2026-01-01' }, true],
    [{ answer: 'q9', eq: 'x' }, false],
    [{ all: [{ tag: 'vip' }, { answer: 'q1', eq: 'yes' }] }, true],
    [{ any: [{ tag: 'x' }, { answer: 'q1', eq: 'no' }] }, false],
    [{ not: { tag: 'x' } }, true],
  ];
  it.each(cases)('%j → %s', (c, expected) => expect(evaluate(c, facts, answers)).toBe(expected));

  it('does not see inherited properties as answers', () => {
    expect(evaluate({ answer: 'toString', op: '!=', value: 'x' }, none, {})).toBe(true);
    expect(evaluate({ answer: 'constructor', eq: 'x' }, none, {})).toBe(false);
  });
});

describe('publish-time validation names the question of each problem', () => {
  const fields: FieldInfo[] = [
    { key: 'premium', type: 'number' },
    { key: 'product', type: 'enum', options: ['交强险', '商业险'] },
    { key: 'has_claim', type: 'boolean' },
    { key: 'expiry', type: 'date' },
  ];
  const cases: [string, QuestionnaireDoc, string[], FieldInfo[]?][] = [
    [
      'unknown jump target',
      doc([{ key: 'a', type: 'script', text: { en: 'x' }, next: [{ goto: 'nowhere' }] }]),
      ['a:unknown_target'],
    ],
    [
      'a cycle (named at its first question)',
      doc([
        { key: 'a', type: 'script', text: { en: 'x' } },
        {
          key: 'b',
          type: 'single',
          text: { en: 'x' },
          options: yesNo,
          next: [{ if: { answer: 'b', eq: 'no' }, goto: 'a' }],
        },
      ]),
      ['a:cycle'],
    ],
    [
      'a question jumping to itself',
      doc([{ key: 'a', type: 'text', text: { en: 'x' }, next: [{ goto: 'a' }] }]),
      ['a:cycle'],
    ],
    [
      'an unreachable question',
      doc([
        { key: 'a', type: 'script', text: { en: 'x' }, next: [{ goto: 'c' }] },
        { key: 'b', type: 'text', text: { en: 'x' } },
        { key: 'c', type: 'text', text: { en: 'x' } },
      ]),
      ['b:unreachable'],
    ],
    [
      'a condition on an unknown field',
      doc([{ key: 'a', type: 'text', text: { en: 'x' }, showIf: { field: 'age', op: '>', value: 3 } }]),
      ['a:unknown_field'],
      fields,
    ],
    [
      'a condition on a question not yet answered on that path',
      doc([
        {
          key: 'a',
          type: 'single',
          text: { en: 'x' },
          options: yesNo,
          next: [{ if: { answer: 'a', eq: 'no' }, goto: 'c' }],
        },
        { key: 'b', type: 'single', text: { en: 'x' }, options: yesNo },
        { key: 'c', type: 'text', text: { en: 'x' }, showIf: { answer: 'b', eq: 'yes' } },
      ]),
      ['c:answer_not_on_path'],
    ],
    [
      'a condition on a later question',
      doc([
        { key: 'a', type: 'text', text: { en: 'x' }, showIf: { answer: 'b', eq: 'x' } },
        { key: 'b', type: 'text', text: { en: 'x' } },
      ]),
      ['a:answer_not_on_path'],
    ],
    [
      "a showIf on the question's own answer",
      doc([{ key: 'a', type: 'text', text: { en: 'x' }, showIf: { answer: 'a', eq: 'x' } }]),
      ['a:answer_not_on_path'],
    ],
    [
      'an option value that does not exist',
      doc([
        {
          key: 'a',
          type: 'single',
          text: { en: 'x' },
          options: yesNo,
          next: [{ if: { answer: 'a', eq: 'maybe' }, goto: 'end' }],
        },
      ]),
      ['a:unknown_option'],
    ],
    [
      'an enum field value that does not exist',
      doc([{ key: 'a', type: 'text', text: { en: 'x' }, showIf: { field: 'product', op: 'in', value: ['意外险'] } }]),
      ['a:unknown_option'],
      fields,
    ],
    [
      'a condition on an unknown question',
      doc([{ key: 'a', type: 'text', text: { en: 'x' }, showIf: { answer: 'zz', eq: 'x' } }]),
      ['a:unknown_question'],
    ],
    [
      'a condition on a script text',
      doc([
        { key: 'a', type: 'script', text: { en: 'x' } },
        { key: 'b', type: 'text', text: { en: 'x' }, showIf: { answer: 'a', eq: 'x' } },
      ]),
      ['b:not_answerable'],
    ],
    [
      'type mismatches',
      doc([
        { key: 'a', type: 'number', text: { en: 'x' }, next: [{ if: { answer: 'a', eq: 'ten' }, goto: 'b' }] },
        {
          key: 'b',
          type: 'single',
          text: { en: 'x' },
          options: yesNo,
          next: [{ if: { answer: 'b', op: '<', value: 'yes' }, goto: 'c' }],
        },
        {
          key: 'c',
          type: 'date',
          text: { en: 'x' },
          next: [{ if: { answer: 'c', op: '>', value: '2026-02-30' }, goto: 'd' }],
        },
        { key: 'd', type: 'text', text: { en: 'x' }, showIf: { field: 'premium', op: 'in', value: 3 } },
        { key: 'e', type: 'text', text: { en: 'x' }, showIf: { field: 'has_claim', op: '=', value: 'yes' } },
      ]),
      ['a:type_mismatch', 'b:type_mismatch', 'c:type_mismatch', 'd:type_mismatch', 'e:type_mismatch'],
      fields,
    ],
    [
      'a rating compared outside its scale',
      doc([
        {
          key: 'a',
          type: 'rating',
          text: { en: 'x' },
          next: [{ if: { answer: 'a', op: '>=', value: 9 }, goto: 'end' }],
        },
      ]),
      ['a:out_of_range'],
    ],
    [
      'duplicate and reserved keys',
      doc([
        { key: 'a', type: 'text', text: { en: 'x' } },
        { key: 'a', type: 'text', text: { en: 'y' } },
        { key: 'end', type: 'text', text: { en: 'z' } },
      ]),
      ['a:duplicate_key', 'end:reserved_key'],
    ],
    ['an unknown start', doc([{ key: 'a', type: 'text', text: { en: 'x' } }], { start: 'b' }), ['b:unknown_start']],
    [
      'a rule after one that always applies',
      doc([{ key: 'a', type: 'text', text: { en: 'x' }, next: [{ goto: 'end' }, { if: { tag: 'x' }, goto: 'end' }] }]),
      ['a:dead_rule'],
    ],
    [
      'options: missing, unexpected, repeated, unlabelled',
      doc([
        { key: 'a', type: 'single', text: { en: 'x' } },
        { key: 'b', type: 'text', text: { en: 'x' }, options: yesNo },
        { key: 'c', type: 'multiple', text: { en: 'x' }, options: [...yesNo, { value: 'no', label: { zh: ' ' } }] },
      ]),
      ['a:missing_options', 'b:unexpected_options', 'c:duplicate_option', 'c:empty_text'],
    ],
    [
      'ranges',
      doc([
        { key: 'a', type: 'rating', text: { en: 'x' }, min: 5, max: 1 },
        { key: 'b', type: 'number', text: { en: 'x' }, min: 5, max: 1 },
        { key: 'c', type: 'text', text: { en: 'x' }, min: 1 },
        { key: 'd', type: 'date', text: { en: 'x' }, maxLength: 3 },
      ]),
      ['a:bad_range', 'b:bad_range', 'c:bad_range', 'd:bad_range'],
    ],
    [
      'placeholders that are no field',
      doc([{ key: 'a', type: 'script', text: { zh: '您好 {name}，您的保费 {premium} 元，{nickname}' } }]),
      ['a:unknown_placeholder'],
      fields,
    ],
    ['empty text', doc([{ key: 'a', type: 'script', text: { zh: '  ' } }]), ['a:empty_text']],
    ['a required script', doc([{ key: 'a', type: 'script', text: { en: 'x' }, required: true }]), ['a:not_answerable']],
  ];
  it.each(cases)('%s', (_name, d, expected, f) => expect(codes(d, f)).toEqual(expected));

  it('field names are unchecked without a project, checked with one', () => {
    const d = doc([
      { key: 'a', type: 'text', text: { en: '{nickname}' }, showIf: { field: 'age', op: '>', value: 3 } },
    ]);
    expect(codes(d)).toEqual([]);
    expect(codes(d, [])).toEqual(['a:unknown_placeholder', 'a:unknown_field']);
  });

  it('conditions deeper than 16 levels are refused', () => {
    let c: Condition = { tag: 'x' };
    for (let i = 0; i < 16; i++) c = { not: c };
    expect(codes(doc([{ key: 'a', type: 'text', text: { en: 'x' }, showIf: c }]))).toEqual(['a:too_deep']);
  });

  it('a condition on an answer given on every path is fine, even after a branch rejoins', () => {
    const d = doc([
      {
        key: 'a',
        type: 'single',
        text: { en: 'x' },
        options: yesNo,
        next: [{ if: { answer: 'a', eq: 'no' }, goto: 'c' }],
      },
      { key: 'b', type: 'text', text: { en: 'x' } },
      { key: 'c', type: 'text', text: { en: 'x' }, showIf: { answer: 'a', eq: 'yes' } },
    ]);
    expect(codes(d)).toEqual([]);
  });
});

describe('answers', () => {
  const d = doc([
    { key: 'ok', type: 'single', text: { en: 'x' }, options: yesNo, required: true },
    { key: 'items', type: 'multiple', text: { en: 'x' }, options: yesNo },
    { key: 'age', type: 'number', text: { en: 'x' }, min: 18, max: 99 },
    { key: 'score', type: 'rating', text: { en: 'x' } },
    { key: 'when', type: 'date', text: { en: 'x' } },
    { key: 'note', type: 'text', text: { en: 'x' }, maxLength: 5, required: true },
  ]);
  it('takes values of the right type and names every wrong one', () => {
    expect(
      checkAnswers(d, none, { ok: 'yes', items: ['no'], age: 30, score: 5, when: '2026-02-28', note: 'hi' }).issues,
    ).toEqual([]);
    const bad = checkAnswers(d, none, {
      ok: 'maybe',
      items: ['no', 'no'],
      age: 12,
      score: 2.5,
      when: '2026-02-30',
      note: 'too long',
      zz: 1,
    }).issues.map((i) => `${i.question}:${i.code}`);
    expect(bad).toEqual([
      'ok:invalid_answer',
      'items:invalid_answer',
      'age:invalid_answer',
      'score:invalid_answer',
      'when:invalid_answer',
      'note:invalid_answer',
      'zz:unknown_question',
    ]);
    expect(checkAnswers(d, none, { ok: null }).issues).toEqual([
      expect.objectContaining({ question: 'ok', code: 'required' }),
    ]);
  });

  it('before a disposition: every required question on the path answered; optional ones may stay blank', () => {
    expect(missingAnswer(d, none, { ok: 'yes' })).toMatchObject({ question: 'note', code: 'answer_missing' });
    expect(missingAnswer(d, none, { ok: 'yes', note: 'fine' })).toBeNull();
    expect(missingAnswer(d, none, {})).toMatchObject({ question: 'ok' });
  });

  it('reads command-line answers as the question type', () => {
    const [ok, items, age, score] = d.questions;
    expect(answerFromText(age, '65')).toBe(65);
    expect(answerFromText(age, 'sixty')).toBe('sixty');
    expect(answerFromText(score, ' 4 ')).toBe(4);
    expect(answerFromText(items, 'yes, no')).toEqual(['yes', 'no']);
    expect(answerFromText(ok, '')).toBeNull();
    expect(answerFromText(ok, '65')).toBe('65');
  });

  it('progress: the most questions left on any path', () => {
    expect(maxRemaining(RENEW, 'q1')).toBe(2);
    expect(maxRemaining(RENEW, null)).toBe(0);
    expect(maxRemaining(d, 'age')).toBe(4);
  });
});

describe('the question bank', () => {
  const bank = new Map<string, BankQuestion>([
    [
      'ID_CHECK',
      {
        code: 'ID_CHECK',
        category: '核身',
        type: 'single',
        text: { zh: '请问您是{name}本人吗？' },
        options: yesNo,
        required: true,
      },
    ],
  ]);
  it('fills a question from the bank; what the questionnaire says itself wins', () => {
    const { doc: d, issues } = resolveBank(
      {
        format: 'outdial.questionnaire/1',
        code: 'B',
        title: { en: 'B' },
        questions: [
          { key: 'id', bank: 'ID_CHECK', required: false, next: [{ if: { answer: 'id', eq: 'no' }, goto: 'end' }] },
        ],
      },
      bank,
    );
    expect(issues).toEqual([]);
    expect(d.questions[0]).toMatchObject({
      key: 'id',
      type: 'single',
      required: false,
      category: '核身',
      options: yesNo,
    });
    expect(validateQuestionnaire(d)).toEqual([]);
  });

  it('names a question whose bank code is unknown, or that has neither type nor bank', () => {
    const input = {
      format: 'outdial.questionnaire/1' as const,
      code: 'B',
      title: { en: 'B' },
      questions: [{ key: 'a', bank: 'NOPE' }, { key: 'b' }],
    };
    expect(resolveBank(input, bank).issues.map((i) => `${i.question}:${i.code}`)).toEqual([
      'a:unknown_bank_question',
      'b:invalid_document',
    ]);
    expect(resolveBank(input, null).issues[0]!.message).toMatch(/--project/);
  });
});

// Every code the validator can give is exercised above (the schema-level ones by the engine's tests).
const covered: QuestionnaireErrorCode[] = [
  'unknown_target',
  'cycle',
  'unreachable',
  'unknown_field',
  'answer_not_on_path',
  'unknown_option',
  'unknown_question',
  'not_answerable',
  'type_mismatch',
  'out_of_range',
  'duplicate_key',
  'reserved_key',
  'unknown_start',
  'dead_rule',
  'missing_options',
  'unexpected_options',
  'duplicate_option',
  'bad_range',
  'unknown_placeholder',
  'empty_text',
  'too_deep',
  'unknown_bank_question',
];
it('covers the validation codes', () => expect(new Set(covered).size).toBe(covered.length));
