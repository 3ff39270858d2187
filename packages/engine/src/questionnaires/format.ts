import {
  AnswerEqCondition,
  AnswerInCondition,
  AnswerOpCondition,
  FieldCondition,
  QuestionnaireCondition,
  QuestionnaireDocument,
  QuestionnaireQuestion,
  QuestionnaireShell,
  TagCondition,
  type QuestionnaireDocument as QuestionnaireDocumentWire,
} from '@outdial/contracts/questionnaire-format';
import {
  QUESTIONNAIRE_FORMAT,
  resolveBank,
  validateQuestionnaire,
  type BankQuestion,
  type FieldInfo,
  type QuestionnaireDoc,
  type QuestionnaireInput,
  type QuestionnaireIssue,
} from '@outdial/domain/questionnaires';
import { Compile } from 'typebox/compile';

const validator = Compile(QuestionnaireDocument);
const questionValidator = Compile(QuestionnaireQuestion);
const shellValidator = Compile(QuestionnaireShell);
const conditionValidator = Compile(QuestionnaireCondition);
/** The leaf forms, by the properties that name them. */
const FORMS: [string[], { Errors(v: unknown): unknown[] }][] = [
  [['tag'], Compile(TagCondition)],
  [['field', 'op', 'value'], Compile(FieldCondition)],
  [['answer', 'eq'], Compile(AnswerEqCondition)],
  [['answer', 'in'], Compile(AnswerInCondition)],
  [['answer', 'op', 'value'], Compile(AnswerOpCondition)],
];
const CONDITION_FORMS =
  'write {"tag"}, {"field","op","value"}, {"answer","eq"}, {"answer","in"}, {"answer","op","value"}, {"all"}, {"any"} or {"not"} (docs/questionnaires.md)';

/** Deeper JSON than this is refused before the schema looks at it (a condition nests 16 levels at most). */
const MAX_JSON_DEPTH = 64;

function tooDeep(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d > MAX_JSON_DEPTH) return true;
    for (const y of Array.isArray(x) ? x : Object.values(x as Record<string, unknown>)) stack.push([y, d + 1]);
  }
  return false;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface SchemaError {
  instancePath: string;
  keyword: string;
  message: string;
  params: unknown;
}

/** Where a condition sits: after showIf, if, not, or an item of all/any. */
const CONDITION_AT = /(\/showIf|\/if|\/not|\/(all|any)\/\d+)$/;

function at(value: unknown, pointer: string): unknown {
  let v = value;
  for (const seg of pointer.split('/').slice(1)) {
    if (Array.isArray(v)) v = v[Number(seg)];
    else if (isObject(v)) v = v[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
    else return undefined;
  }
  return v;
}

const dotted = (p: string, root: string) => p.replace(/^\//, '').replace(/\//g, '.') || root;

/** The innermost condition under `pointer` that is wrong, and what is wrong with it. */
function describeCondition(c: unknown, pointer: string, root: string): string {
  if (isObject(c)) {
    const keys = Object.keys(c);
    const only = (k: string) => keys.length === 1 && keys[0] === k;
    if ((only('all') || only('any')) && Array.isArray(c[keys[0]!])) {
      const items = c[keys[0]!] as unknown[];
      const i = items.findIndex((x) => !conditionValidator.Check(x));
      if (i >= 0) return describeCondition(items[i], `${pointer}/${keys[0]}/${i}`, root);
    }
    if (only('not') && !conditionValidator.Check(c['not'])) return describeCondition(c['not'], `${pointer}/not`, root);
    const form = FORMS.find(([names]) => names.length === keys.length && names.every((n) => keys.includes(n)));
    if (form) return describe(c, form[1].Errors(c) as SchemaError[], pointer, root);
    const shown = keys.map((k) => `"${k}"`).join(',');
    return `${dotted(pointer, root)}: {${shown}} is not a condition; ${CONDITION_FORMS}`;
  }
  return `${dotted(pointer, root)}: ${JSON.stringify(c)} is not a condition; ${CONDITION_FORMS}`;
}

/**
 * One message for the errors of one question (or of the document's own properties), about the
 * first place that is wrong: a condition is described by its innermost wrong part, an unknown
 * property by its name, a choice of words by the words allowed.
 */
function describe(value: unknown, all: readonly SchemaError[], base = '', root = '(question)'): string {
  // "boolean schema is false" repeats what additionalProperties says better.
  const errors = all.filter((e) => e.keyword !== 'boolean');
  const first = errors[0] ?? all[0];
  if (!first) return `${dotted(base, root)}: does not fit the format`;
  const segs = first.instancePath.split('/');
  for (let n = 1; n <= segs.length; n++) {
    const prefix = segs.slice(0, n).join('/');
    if (prefix && CONDITION_AT.test(prefix)) return describeCondition(at(value, prefix), base + prefix, root);
  }
  const here = errors.filter((e) => e.instancePath === first.instancePath);
  const extra = here.find((e) => e.keyword === 'additionalProperties');
  if (extra) {
    const names = (extra.params as { additionalProperties?: unknown }).additionalProperties;
    const list = Array.isArray(names) ? names.map((n) => `"${String(n)}"`).join(', ') : '';
    return `${dotted(base + first.instancePath, root)}: unknown property ${list} (a typo?)`;
  }
  const allowed = here.flatMap((e) =>
    e.keyword === 'const' ? [String((e.params as { allowedValue?: unknown }).allowedValue)] : [],
  );
  if (allowed.length > 1) return `${dotted(base + first.instancePath, root)}: must be one of ${allowed.join(', ')}`;
  return `${dotted(base + first.instancePath, root)}: ${first.message}`;
}

/**
 * Reads a document in the exchange format: its shape is checked against the contracts' schema,
 * and the problems are reported per question, every question (not only the first bad one).
 */
export function parseQuestionnaire(
  input: unknown,
): { ok: true; input: QuestionnaireInput } | { ok: false; issues: QuestionnaireIssue[] } {
  if (!isObject(input))
    return {
      ok: false,
      issues: [{ question: null, code: 'invalid_document', message: 'a questionnaire is a JSON object' }],
    };
  if (input['format'] !== QUESTIONNAIRE_FORMAT)
    return {
      ok: false,
      issues: [
        {
          question: null,
          code: 'unsupported_format',
          message: `"format" must be "${QUESTIONNAIRE_FORMAT}" (got ${JSON.stringify(input['format'] ?? null)})`,
        },
      ],
    };
  if (tooDeep(input))
    return {
      ok: false,
      issues: [
        { question: null, code: 'too_deep', message: `the document nests deeper than ${MAX_JSON_DEPTH} levels` },
      ],
    };
  if (validator.Check(input)) return { ok: true, input: input as unknown as QuestionnaireInput };
  const issues: QuestionnaireIssue[] = [];
  const shell = [...shellValidator.Errors(input)] as SchemaError[];
  const byPath = new Map<string, SchemaError[]>();
  for (const e of shell.filter((x) => x.keyword !== 'boolean')) {
    const top = e.instancePath.split('/').slice(0, 2).join('/');
    byPath.set(top, [...(byPath.get(top) ?? []), e]);
  }
  for (const errs of byPath.values())
    issues.push({ question: null, code: 'invalid_document', message: describe(input, errs, '', '(document)') });
  const questions = input['questions'];
  if (Array.isArray(questions))
    questions.forEach((q: unknown, i) => {
      if (questionValidator.Check(q)) return;
      const key = isObject(q) && typeof q['key'] === 'string' ? q['key'] : `#${i + 1}`;
      issues.push({
        question: key,
        code: 'invalid_document',
        message: describe(q, [...questionValidator.Errors(q)] as SchemaError[]),
      });
    });
  return { ok: false, issues };
}

export interface CheckContext {
  /** The project's custom fields (undefined: no project known; field names are not checked). */
  fields?: readonly FieldInfo[] | undefined;
  /** The organisation's question bank (null: none at hand). */
  bank?: ReadonlyMap<string, BankQuestion> | null | undefined;
}

/**
 * Everything publishing checks, in order: the shape, the bank references, then the rules
 * (domain `validateQuestionnaire`). `doc` is the completed document when the shape was right.
 */
export function checkQuestionnaire(
  input: unknown,
  ctx: CheckContext = {},
): { doc: QuestionnaireDoc | null; issues: QuestionnaireIssue[] } {
  const parsed = parseQuestionnaire(input);
  if (!parsed.ok) return { doc: null, issues: parsed.issues };
  const { doc, issues } = resolveBank(parsed.input, ctx.bank ?? null);
  if (issues.length) return { doc, issues };
  return { doc, issues: validateQuestionnaire(doc, { fields: ctx.fields }) };
}

/** The contracts' schema and the domain's types describe the same document (checked by the compiler). */
type Fits = QuestionnaireDocumentWire extends QuestionnaireInput ? true : false;
export const SCHEMA_FITS_DOMAIN: Fits = true;
