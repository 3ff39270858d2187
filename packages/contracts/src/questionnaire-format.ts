import { Type, type Static } from 'typebox';

/**
 * The questionnaire exchange format `outdial.questionnaire/1` (docs/questionnaires.md): files
 * written in an editor, reviewed, linted in a pipeline (`outdial questionnaire check`), imported
 * and exported by the API. Mirrors packages/domain/src/questionnaires/types.ts.
 */

const strict = { additionalProperties: false } as const;

export const QuestionnaireFormat = Type.Literal('outdial.questionnaire/1');

export const LocalText = Type.Object(
  { zh: Type.Optional(Type.String({ maxLength: 4000 })), en: Type.Optional(Type.String({ maxLength: 4000 })) },
  { ...strict, minProperties: 1, description: 'text in Chinese and/or English' },
);

/** A question's key: what jumps and conditions name. "end" is reserved. */
export const QuestionKey = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$' });
/** A question bank code. */
export const BankCode = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$' });

const Scalar = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);
const Scalars = Type.Array(Scalar, { maxItems: 200 });
export const CompareOp = Type.Union([
  Type.Literal('='),
  Type.Literal('!='),
  Type.Literal('<'),
  Type.Literal('<='),
  Type.Literal('>'),
  Type.Literal('>='),
  Type.Literal('in'),
]);

export const QuestionType = Type.Union([
  Type.Literal('single'),
  Type.Literal('multiple'),
  Type.Literal('text'),
  Type.Literal('number'),
  Type.Literal('date'),
  Type.Literal('rating'),
  Type.Literal('script'),
]);

export const QuestionOption = Type.Object(
  { value: Type.String({ minLength: 1, maxLength: 100 }), label: LocalText },
  strict,
);

/** What a question may say besides its key, jumps and conditions (also what a bank question holds). */
export const questionBody = {
  options: Type.Optional(Type.Array(QuestionOption, { maxItems: 200 })),
  required: Type.Optional(Type.Boolean()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 20_000 })),
  hint: Type.Optional(LocalText),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
};

const Operand = Type.Union([Scalar, Scalars]);
/** The condition forms that hold no other condition (`all`, `any`, `not` hold conditions). */
export const TagCondition = Type.Object({ tag: Type.String({ minLength: 1, maxLength: 100 }) }, strict);
export const FieldCondition = Type.Object(
  { field: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }), op: CompareOp, value: Operand },
  strict,
);
export const AnswerEqCondition = Type.Object({ answer: QuestionKey, eq: Scalar }, strict);
export const AnswerInCondition = Type.Object({ answer: QuestionKey, in: Scalars }, strict);
export const AnswerOpCondition = Type.Object({ answer: QuestionKey, op: CompareOp, value: Operand }, strict);

/**
 * The whole document. Conditions nest (`all`, `any`, `not`), so the schema is cyclic: its
 * definitions refer to one another by `$id`.
 */
const definitions = {
  QuestionnaireCondition: Type.Union(
    [
      TagCondition,
      FieldCondition,
      AnswerEqCondition,
      AnswerInCondition,
      AnswerOpCondition,
      Type.Object({ all: Type.Array(Type.Ref('QuestionnaireCondition'), { minItems: 1, maxItems: 50 }) }, strict),
      Type.Object({ any: Type.Array(Type.Ref('QuestionnaireCondition'), { minItems: 1, maxItems: 50 }) }, strict),
      Type.Object({ not: Type.Ref('QuestionnaireCondition') }, strict),
    ],
    { description: 'a condition (docs/questionnaires.md): tag, field, answer, all, any, not' },
  ),
  QuestionnaireQuestion: Type.Object(
    {
      key: QuestionKey,
      type: Type.Optional(QuestionType),
      text: Type.Optional(LocalText),
      ...questionBody,
      showIf: Type.Optional(Type.Ref('QuestionnaireCondition')),
      next: Type.Optional(
        Type.Array(Type.Object({ if: Type.Optional(Type.Ref('QuestionnaireCondition')), goto: QuestionKey }, strict), {
          maxItems: 50,
        }),
      ),
      bank: Type.Optional(BankCode),
    },
    strict,
  ),
  QuestionnaireDocument: Type.Object(
    {
      format: QuestionnaireFormat,
      code: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$' }),
      title: LocalText,
      description: Type.Optional(LocalText),
      start: Type.Optional(QuestionKey),
      questions: Type.Array(Type.Ref('QuestionnaireQuestion'), { minItems: 1, maxItems: 500 }),
    },
    { ...strict, description: 'an outdial.questionnaire/1 document (docs/questionnaires.md)' },
  ),
};
export const QuestionnaireDocument = Type.Cyclic(definitions, 'QuestionnaireDocument');
export type QuestionnaireDocument = Static<typeof QuestionnaireDocument>;
/** One condition on its own. */
export const QuestionnaireCondition = Type.Cyclic(definitions, 'QuestionnaireCondition');
/** One question of the document on its own (to report every question's problems, not only the first's). */
export const QuestionnaireQuestion = Type.Cyclic(definitions, 'QuestionnaireQuestion');
/** The document's own properties, its questions unchecked (they are checked one by one). */
export const QuestionnaireShell = Type.Object(
  {
    ...definitions.QuestionnaireDocument.properties,
    questions: Type.Array(Type.Object({}), { minItems: 1, maxItems: 500 }),
  },
  strict,
);
