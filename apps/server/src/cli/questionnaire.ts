import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { checkQuestionnaire, type CheckContext } from '@outdial/engine';
import {
  answerFromText,
  checkAnswers,
  walk,
  type AnswerValue,
  type FieldInfo,
  type FieldValue,
  type QuestionnaireDoc,
  type QuestionnaireIssue,
} from '@outdial/domain/questionnaires';

/** What a questionnaire command prints and how it exits. */
export interface CliOutcome {
  exitCode: 0 | 1;
  stdout: string;
}

/** Reads the file as JSON; a file that is not JSON is an issue like any other. */
export async function readDocument(file: string): Promise<{ json: unknown } | { issue: QuestionnaireIssue }> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).replace(/^\ufeff/, '');
  } catch (err) {
    return {
      issue: { question: null, code: 'invalid_json', message: `cannot read ${file}: ${(err as Error).message}` },
    };
  }
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      issue: { question: null, code: 'invalid_json', message: `${file} is not JSON: ${(err as Error).message}` },
    };
  }
}

/** A problem as the commands print it (the document's issues, or an answer's). */
type Problem = { question: string | null; code: string; message: string };

function refusal(errors: readonly Problem[], json: boolean): CliOutcome {
  return {
    exitCode: 1,
    stdout: json
      ? JSON.stringify({ valid: false, errors }) + '\n'
      : errors.map((e) => `${e.question ?? '(document)'}: ${e.code} — ${e.message}`).join('\n') + '\n',
  };
}

/** `outdial questionnaire check`: exit 0 if the document would publish, else 1 with every problem. */
export function checkCommand(input: unknown, ctx: CheckContext, json: boolean): CliOutcome {
  const { doc, issues } = checkQuestionnaire(input, ctx);
  if (issues.length > 0 || !doc) return refusal(issues, json);
  return {
    exitCode: 0,
    stdout: json
      ? JSON.stringify({ valid: true, errors: [] }) + '\n'
      : `${doc.code}: would publish (${doc.questions.length} questions)\n`,
  };
}

export interface WalkInput {
  tags: string[];
  /** `--field k=v`, as typed. */
  fields: [string, string][];
  /** `--answer key=value`, as typed. */
  answers: [string, string][];
}

/** A field typed on the command line: by the project's field type when known, else a number if it reads as one. */
export function fieldFromText(raw: string, f: FieldInfo | undefined): FieldValue {
  const t = raw.trim();
  const numeric = t !== '' && Number.isFinite(Number(t));
  if (!f) return numeric ? Number(t) : raw;
  switch (f.type) {
    case 'number':
      return numeric ? Number(t) : raw;
    case 'boolean':
      return /^(true|yes|y|1|是)$/i.test(t) ? true : /^(false|no|n|0|否)$/i.test(t) ? false : raw;
    default:
      return raw;
  }
}

/**
 * `outdial questionnaire walk`: the questions shown for this contact and these answers, until
 * the first shown question without an answer, or the end.
 */
export function walkCommand(input: unknown, ctx: CheckContext, w: WalkInput, json: boolean): CliOutcome {
  const { doc, issues } = checkQuestionnaire(input, ctx);
  if (issues.length > 0 || !doc) return refusal(issues, json);
  const byKey = new Map(doc.questions.map((q) => [q.key, q] as const));
  const known = ctx.fields ? new Map(ctx.fields.map((f) => [f.key, f] as const)) : null;
  const fields: Record<string, FieldValue> = {};
  for (const [k, v] of w.fields) fields[k] = fieldFromText(v, known?.get(k));
  const given: Record<string, AnswerValue> = {};
  for (const [k, v] of w.answers) given[k] = answerFromText(byKey.get(k), v);
  const facts = { tags: w.tags, fields };
  // Answers for a branch not taken are simply not on the path; answers that are wrong are refused.
  const wrong = checkAnswers(doc, facts, given).issues.filter((i) => i.code !== 'not_on_path');
  if (wrong.length > 0) return refusal(wrong, json);
  const r = walk(doc, facts, given);
  if (json) return { exitCode: 0, stdout: JSON.stringify({ path: r.path, next: r.next, ended: r.ended }) + '\n' };
  const lines = r.path.map((k) => `  ${k}${given[k] !== undefined ? ` = ${JSON.stringify(given[k])}` : ''}`);
  return {
    exitCode: 0,
    stdout:
      [
        `${doc.code}: ${r.path.length} shown${r.skipped.length ? `, skipped ${r.skipped.join(', ')}` : ''}`,
        ...lines,
        r.ended ? 'end' : `next: ${r.next} — ${textOf(doc, r.next!)}`,
        ...(r.unused.length ? [`(answers not on this path: ${r.unused.join(', ')})`] : []),
      ].join('\n') + '\n',
  };
}

function textOf(doc: QuestionnaireDoc, key: string): string {
  const q = doc.questions.find((x) => x.key === key);
  return q?.text.zh ?? q?.text.en ?? '';
}

function pair(flag: string) {
  return (value: string, prev: [string, string][]): [string, string][] => {
    const i = value.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`${flag} takes key=value, got "${value}"`);
    return [...prev, [value.slice(0, i).trim(), value.slice(i + 1)]];
  };
}

/**
 * `outdial questionnaire check|walk`. Without `--project` nothing but the file is read (a
 * pipeline needs no database); with it, the project's fields (names and types) and the
 * organisation's question bank come from the database the server uses.
 */
export function registerQuestionnaireCommands(
  program: Command,
  projectContext: (code: string) => Promise<CheckContext>,
): void {
  const q = program
    .command('questionnaire')
    .description('questionnaires in the exchange format (outdial.questionnaire/1)');
  const context = async (code: string | undefined): Promise<CheckContext> => (code ? projectContext(code) : {});
  const finish = (o: CliOutcome) => {
    process.stdout.write(o.stdout);
    process.exitCode = o.exitCode;
  };
  q.command('check')
    .description('exit 0 if the file would publish; else exit 1 and list the problems, each naming its question')
    .argument('<file>', 'the questionnaire (JSON)')
    .option('--project <code>', "check fields and bank questions against this project's")
    .option('--json', 'print {"valid":…,"errors":[{"question","code","message"}]}')
    .action(async (file: string, o: { project?: string; json?: boolean }) => {
      const read = await readDocument(file);
      if ('issue' in read) return finish(refusal([read.issue], Boolean(o.json)));
      finish(checkCommand(read.json, await context(o.project), Boolean(o.json)));
    });
  q.command('walk')
    .description('the questions shown, in order, until the first shown question without an answer or the end')
    .argument('<file>', 'the questionnaire (JSON)')
    .option('--tags <a,b>', "the contact's tags, comma-separated", '')
    .option('--field <k=v>', 'a contact field (repeatable)', pair('--field'), [])
    .option(
      '--answer <key=value>',
      'an answer (repeatable); multiple choice: a,b; empty: left blank',
      pair('--answer'),
      [],
    )
    .option('--project <code>', "read fields by this project's field types")
    .option('--json', 'print {"path":[…],"next":KEY|null,"ended":true|false}')
    .action(
      async (
        file: string,
        o: { tags: string; field: [string, string][]; answer: [string, string][]; project?: string; json?: boolean },
      ) => {
        const read = await readDocument(file);
        if ('issue' in read) return finish(refusal([read.issue], Boolean(o.json)));
        const tags = o.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        finish(
          walkCommand(
            read.json,
            await context(o.project),
            { tags, fields: o.field, answers: o.answer },
            Boolean(o.json),
          ),
        );
      },
    );
}
