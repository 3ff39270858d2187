import { depth, leaves } from './conditions.ts';
import { startKey, targets } from './walk.ts';
import {
  END,
  FIXED_FIELDS,
  type CompareOp,
  type Condition,
  type FieldInfo,
  type LocalText,
  type Question,
  type QuestionnaireDoc,
  type QuestionnaireErrorCode,
  type QuestionnaireIssue,
  type Scalar,
} from './types.ts';

export interface ValidateOptions {
  /**
   * The project's custom fields. Undefined when no project is known (the CLI without
   * `--project`): conditions and placeholders may then name any field, unchecked.
   */
  fields?: readonly FieldInfo[] | undefined;
}

/** How deeply conditions may nest. */
export const MAX_CONDITION_DEPTH = 16;
/** Rating scales: at most this many points. */
const MAX_RATING_POINTS = 101;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar day written "YYYY-MM-DD". */
export function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && leap ? 29 : DAYS[mo - 1]!);
}

function intersect(a: ReadonlySet<number>, b: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

/** `{key}` placeholders in a text (contact fields rendered at run time). */
export const PLACEHOLDER = /\{([a-z][a-z0-9_]{0,39})\}/g;

const textOf = (t: LocalText | undefined) => [t?.zh, t?.en].filter((s): s is string => typeof s === 'string');
const blank = (t: LocalText | undefined) => textOf(t).every((s) => s.trim() === '');

/** What a condition compares against: a question's answer or a contact field. */
interface Subject {
  kind: 'text' | 'number' | 'date' | 'choice' | 'boolean' | 'rating';
  options?: readonly string[] | undefined;
  min?: number | undefined;
  max?: number | undefined;
  /** "the answer to q3", "field premium": for messages. */
  label: string;
}

function subjectOfQuestion(q: Question): Subject | null {
  const label = `the answer to ${q.key}`;
  switch (q.type) {
    case 'single':
    case 'multiple':
      return { kind: 'choice', options: (q.options ?? []).map((o) => o.value), label };
    case 'text':
      return { kind: 'text', label };
    case 'number':
      return { kind: 'number', min: q.min, max: q.max, label };
    case 'rating':
      return { kind: 'rating', min: q.min ?? 1, max: q.max ?? 5, label };
    case 'date':
      return { kind: 'date', label };
    case 'script':
      return null;
  }
}

function subjectOfField(f: FieldInfo): Subject {
  const label = `field ${f.key}`;
  if (f.type === 'enum') return { kind: 'choice', options: f.options ?? [], label };
  return { kind: f.type, label };
}

const ORDERING: ReadonlySet<CompareOp> = new Set(['<', '<=', '>', '>=']);

/** Checks one comparison's operator and value(s) against what it compares; returns the problems in words. */
function checkComparison(
  s: Subject | null,
  op: CompareOp,
  value: Scalar | readonly Scalar[],
): { code: QuestionnaireErrorCode; message: string }[] {
  const out: { code: QuestionnaireErrorCode; message: string }[] = [];
  const isList = Array.isArray(value);
  if (op === 'in' && !isList) return [{ code: 'type_mismatch', message: '"in" compares with a list of values' }];
  if (op !== 'in' && isList)
    return [{ code: 'type_mismatch', message: `"${op}" compares with one value, not a list (use "in")` }];
  if (!s) return out;
  const values = (isList ? value : [value]) as readonly Scalar[];
  if (ORDERING.has(op) && (s.kind === 'choice' || s.kind === 'text' || s.kind === 'boolean'))
    return [{ code: 'type_mismatch', message: `${s.label} cannot be ordered with "${op}"; use =, != or in` }];
  for (const v of values) {
    switch (s.kind) {
      case 'choice':
        if (typeof v !== 'string')
          out.push({
            code: 'type_mismatch',
            message: `${s.label} is compared with a non-text value ${JSON.stringify(v)}`,
          });
        else if (!(s.options ?? []).includes(v))
          out.push({
            code: 'unknown_option',
            message: `${s.label}: "${v}" is not one of its options (${(s.options ?? []).join(', ')})`,
          });
        break;
      case 'text':
        if (typeof v !== 'string')
          out.push({ code: 'type_mismatch', message: `${s.label} is text, compared with ${JSON.stringify(v)}` });
        break;
      case 'boolean':
        if (typeof v !== 'boolean')
          out.push({
            code: 'type_mismatch',
            message: `${s.label} is true or false, compared with ${JSON.stringify(v)}`,
          });
        break;
      case 'date':
        if (typeof v !== 'string' || !isIsoDate(v))
          out.push({
            code: 'type_mismatch',
            message: `${s.label} is a date, compared with ${JSON.stringify(v)} (write YYYY-MM-DD)`,
          });
        break;
      case 'number':
      case 'rating':
        if (typeof v !== 'number' || !Number.isFinite(v))
          out.push({ code: 'type_mismatch', message: `${s.label} is a number, compared with ${JSON.stringify(v)}` });
        else if (s.kind === 'rating' && (v < s.min! || v > s.max! || !Number.isInteger(v)))
          out.push({ code: 'out_of_range', message: `${s.label} is a rating ${s.min}–${s.max}; ${v} can never match` });
        break;
    }
  }
  return out;
}

/**
 * Publish-time validation of a questionnaire that has the format's shape (see the contracts'
 * schema): every problem, each naming its question, so the author fixes them in one go. A
 * document with no issue walks to an end from every contact and any answers: its jump graph is
 * acyclic, every question is reachable, and a condition reads only answers given before it on
 * every path that reaches it.
 */
export function validateQuestionnaire(doc: QuestionnaireDoc, opts: ValidateOptions = {}): QuestionnaireIssue[] {
  const issues: QuestionnaireIssue[] = [];
  const add = (question: string | null, code: QuestionnaireErrorCode, message: string) =>
    issues.push({ question, code, message });
  const qs = doc.questions;
  const index = new Map<string, number>();

  // Keys.
  qs.forEach((q, i) => {
    if (q.key === END) add(q.key, 'reserved_key', `"${END}" is where jumps finish; a question cannot be called that`);
    else if (index.has(q.key))
      add(q.key, 'duplicate_key', `question ${i + 1} has the key "${q.key}" of question ${index.get(q.key)! + 1}`);
    else index.set(q.key, i);
  });

  // Fields known to conditions and placeholders.
  const known = opts.fields ? new Map([...FIXED_FIELDS, ...opts.fields].map((f) => [f.key, f] as const)) : null;

  // Each question on its own.
  qs.forEach((q) => {
    if (blank(q.text)) add(q.key, 'empty_text', 'the question has no text (give zh and/or en)');
    const choice = q.type === 'single' || q.type === 'multiple';
    if (choice) {
      if (!q.options || q.options.length === 0)
        add(q.key, 'missing_options', `a ${q.type}-choice question lists its options`);
      const seen = new Set<string>();
      for (const o of q.options ?? []) {
        if (seen.has(o.value)) add(q.key, 'duplicate_option', `option "${o.value}" appears twice`);
        seen.add(o.value);
        if (blank(o.label)) add(q.key, 'empty_text', `option "${o.value}" has no label`);
      }
    } else if (q.options !== undefined) add(q.key, 'unexpected_options', `a ${q.type} question has no options`);
    if (q.type === 'script' && q.required)
      add(q.key, 'not_answerable', 'script text is read, never answered, so it cannot be required');
    if (q.type === 'rating') {
      const min = q.min ?? 1;
      const max = q.max ?? 5;
      if (!Number.isInteger(min) || !Number.isInteger(max) || min >= max || max - min + 1 > MAX_RATING_POINTS)
        add(
          q.key,
          'bad_range',
          `a rating scale is whole numbers min < max with at most ${MAX_RATING_POINTS} points (got ${min}–${max})`,
        );
    } else if (q.type === 'number') {
      if (q.min !== undefined && q.max !== undefined && q.min > q.max)
        add(q.key, 'bad_range', `min ${q.min} is above max ${q.max}`);
    } else if (q.min !== undefined || q.max !== undefined)
      add(q.key, 'bad_range', `only number and rating questions have min and max`);
    if (q.maxLength !== undefined && q.type !== 'text') add(q.key, 'bad_range', 'only text questions have maxLength');
    if (known) {
      const texts = [...textOf(q.text), ...textOf(q.hint), ...(q.options ?? []).flatMap((o) => textOf(o.label))];
      const missing = new Set<string>();
      for (const t of texts) for (const m of t.matchAll(PLACEHOLDER)) if (!known.has(m[1]!)) missing.add(m[1]!);
      for (const k of missing) add(q.key, 'unknown_placeholder', `{${k}} is not a field of the project's contacts`);
    }
  });

  // With two questions of one key (or one called "end"), jumps are ambiguous: fix the keys first.
  if (issues.some((i) => i.code === 'duplicate_key' || i.code === 'reserved_key')) return issues;

  // Jumps.
  const start = startKey(doc);
  if (qs.length > 0 && !index.has(start))
    add(doc.start ?? null, 'unknown_start', `the start "${start}" is not a question of this questionnaire`);
  qs.forEach((q) => {
    const rules = q.next ?? [];
    rules.forEach((r, j) => {
      if (r.goto !== END && !index.has(r.goto))
        add(q.key, 'unknown_target', `rule ${j + 1} jumps to "${r.goto}", which is no question here (nor "${END}")`);
      if (j > 0 && !rules[j - 1]!.if)
        add(q.key, 'dead_rule', `rule ${j + 1} can never apply: rule ${j} has no "if" and always decides`);
    });
  });

  // The jump graph over the first occurrence of each key; unknown targets are left out (reported above).
  const n = qs.length;
  const edges: number[][] = qs.map((_q, i) =>
    index.get(qs[i]!.key) === i ? targets(doc, i).flatMap((t) => (index.has(t) ? [index.get(t)!] : [])) : [],
  );

  // Cycles: depth-first search with colours; each cycle reported once, at its first question in list order.
  const colour = new Uint8Array(n); // 0 new, 1 on the stack, 2 done
  const stack: number[] = [];
  const reported = new Set<string>();
  const visit = (root: number) => {
    const iters: { node: number; next: number }[] = [{ node: root, next: 0 }];
    colour[root] = 1;
    stack.push(root);
    while (iters.length) {
      const top = iters[iters.length - 1]!;
      const out = edges[top.node]!;
      if (top.next < out.length) {
        const t = out[top.next++]!;
        if (colour[t] === 0) {
          colour[t] = 1;
          stack.push(t);
          iters.push({ node: t, next: 0 });
        } else if (colour[t] === 1) {
          const cyc = stack.slice(stack.indexOf(t));
          const first = Math.min(...cyc);
          const rot = cyc.indexOf(first);
          const ordered = [...cyc.slice(rot), ...cyc.slice(0, rot)];
          const sig = ordered.join(',');
          if (!reported.has(sig)) {
            reported.add(sig);
            const keys = ordered.map((k) => qs[k]!.key);
            add(keys[0]!, 'cycle', `the jumps go round in a circle: ${[...keys, keys[0]].join(' → ')}`);
          }
        }
      } else {
        colour[top.node] = 2;
        stack.pop();
        iters.pop();
      }
    }
  };
  for (let i = 0; i < n; i++) if (colour[i] === 0 && index.get(qs[i]!.key) === i) visit(i);

  // Reachability from the start.
  const reachable = new Uint8Array(n);
  const s0 = index.get(start);
  if (s0 !== undefined) {
    const todo = [s0];
    reachable[s0] = 1;
    while (todo.length)
      for (const t of edges[todo.pop()!]!)
        if (!reachable[t]) {
          reachable[t] = 1;
          todo.push(t);
        }
    qs.forEach((q, i) => {
      if (!reachable[i] && index.get(q.key) === i)
        add(q.key, 'unreachable', `no path from the start (${start}) leads to ${q.key}`);
    });
  }

  // Dominators (the questions on every path from the start to each one), by iteration to a fixed point.
  const dom: (Set<number> | null)[] = qs.map(() => null);
  if (s0 !== undefined) {
    const preds: number[][] = qs.map(() => []);
    edges.forEach((out, i) => {
      if (reachable[i]) for (const t of out) preds[t]!.push(i);
    });
    dom[s0] = new Set([s0]);
    for (let changed = true; changed;) {
      changed = false;
      for (let i = 0; i < n; i++) {
        if (!reachable[i] || i === s0) continue;
        let meet: Set<number> | null = null;
        for (const p of preds[i]!) {
          const d = dom[p];
          if (!d) continue;
          meet = meet === null ? new Set(d) : intersect(meet, d);
        }
        if (meet === null) continue;
        meet.add(i);
        const old = dom[i];
        if (!old || old.size !== meet.size || [...meet].some((x) => !old.has(x))) {
          dom[i] = meet;
          changed = true;
        }
      }
    }
  }

  // Conditions.
  const check = (q: Question, i: number, c: Condition, where: string, ownAnswerReady: boolean) => {
    if (depth(c) > MAX_CONDITION_DEPTH) {
      add(q.key, 'too_deep', `${where} nests deeper than ${MAX_CONDITION_DEPTH} levels`);
      return;
    }
    for (const leaf of leaves(c)) {
      if ('tag' in leaf) continue;
      if ('field' in leaf) {
        const f = known?.get(leaf.field);
        if (known && !f) {
          add(q.key, 'unknown_field', `${where} tests field "${leaf.field}", which the project's contacts do not have`);
          continue;
        }
        for (const p of checkComparison(f ? subjectOfField(f) : null, leaf.op, leaf.value))
          add(q.key, p.code, `${where}: ${p.message}`);
        continue;
      }
      if (!('answer' in leaf)) continue;
      const k = index.get(leaf.answer);
      if (k === undefined) {
        add(q.key, 'unknown_question', `${where} tests the answer to "${leaf.answer}", which is no question here`);
        continue;
      }
      const target = qs[k]!;
      const subject = subjectOfQuestion(target);
      if (!subject) {
        add(q.key, 'not_answerable', `${where} tests ${leaf.answer}, a script text that is never answered`);
        continue;
      }
      const d = dom[i];
      if (reachable[i] && d && (!d.has(k) || (k === i && !ownAnswerReady)))
        add(
          q.key,
          'answer_not_on_path',
          k === i
            ? `${where} tests ${q.key}'s own answer before it is asked`
            : `${where} tests the answer to ${leaf.answer}, which is not asked on every path to ${q.key} before it`,
        );
      const [op, value] =
        'eq' in leaf ? (['=', leaf.eq] as const) : 'in' in leaf ? (['in', leaf.in] as const) : [leaf.op, leaf.value];
      for (const p of checkComparison(subject, op, value)) add(q.key, p.code, `${where}: ${p.message}`);
    }
  };
  qs.forEach((q, i) => {
    if (index.get(q.key) !== i) return;
    if (q.showIf) check(q, i, q.showIf, `${q.key}'s showIf`, false);
    (q.next ?? []).forEach((r, j) => {
      if (r.if) check(q, i, r.if, `rule ${j + 1} of ${q.key}`, true);
    });
  });
  return issues;
}
