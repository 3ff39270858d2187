import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkCommand, fieldFromText, walkCommand } from './questionnaire.ts';

const RENEW = {
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

/** Branches on a number field and a number answer. */
const AGE = {
  format: 'outdial.questionnaire/1',
  code: 'AGE',
  title: { en: 'Age' },
  questions: [
    {
      key: 'age',
      type: 'number',
      text: { en: 'Your age?' },
      next: [{ if: { answer: 'age', op: '>=', value: 65 }, goto: 'senior' }],
    },
    { key: 'plan', type: 'script', text: { en: 'Standard plan' }, next: [{ goto: 'end' }] },
    { key: 'senior', type: 'text', text: { en: 'Senior plan?' }, showIf: { field: 'premium', op: '>', value: 1000 } },
  ],
};

const json = (o: { stdout: string }) => JSON.parse(o.stdout) as unknown;

describe('outdial questionnaire check|walk', () => {
  it('check: exit 0 for the issue example; exit 1 naming the question of a cycle', () => {
    expect(checkCommand(RENEW, {}, true)).toEqual({ exitCode: 0, stdout: '{"valid":true,"errors":[]}\n' });
    const cyclic = structuredClone(RENEW);
    cyclic.questions[1]!.next = [{ goto: 'q1' }] as never;
    const r = checkCommand(cyclic, {}, true);
    expect(r.exitCode).toBe(1);
    expect(json(r)).toEqual({
      valid: false,
      errors: [{ question: 'q1', code: 'cycle', message: expect.stringContaining('q1 → q2 → q1') as string }],
    });
  });

  it('walk: different tags, different paths', () => {
    const w = (tags: string[], answers: [string, string][]) =>
      json(walkCommand(RENEW, {}, { tags, fields: [], answers }, true));
    expect(w([], [])).toEqual({ path: [], next: 'q1', ended: false });
    expect(w(['上海'], [['q1', 'yes']])).toEqual({ path: ['q1'], next: 'q2', ended: false });
    expect(w([], [['q1', 'yes']])).toEqual({ path: ['q1'], next: null, ended: true });
    expect(w(['上海'], [['q1', 'no']])).toEqual({ path: ['q1'], next: null, ended: true });
  });

  it("walk: answers take the question's type; fields read as numbers unless the project says otherwise", () => {
    const w = (fields: [string, string][], answers: [string, string][], ctx = {}) =>
      json(walkCommand(AGE, ctx, { tags: [], fields, answers }, true));
    expect(w([['premium', '1200']], [['age', '65']])).toEqual({ path: ['age'], next: 'senior', ended: false });
    expect(w([['premium', '900']], [['age', '65']])).toEqual({ path: ['age'], next: null, ended: true });
    expect(w([['premium', '1200']], [['age', '64']])).toEqual({ path: ['age', 'plan'], next: null, ended: true });
    // A project whose premium field is text: "1200" stays text, so the number condition cannot hold.
    const textPremium = { fields: [{ key: 'premium', type: 'text' as const }] };
    const refused = walkCommand(
      AGE,
      textPremium,
      { tags: [], fields: [['premium', '1200']], answers: [['age', '65']] },
      true,
    );
    expect(refused.exitCode).toBe(1); // the document compares a text field with a number
    expect(json(refused)).toMatchObject({ errors: [{ question: 'senior', code: 'type_mismatch' }] });
    expect(fieldFromText('1200', { key: 'premium', type: 'text' })).toBe('1200');
    expect(fieldFromText('1200', undefined)).toBe(1200);
    expect(fieldFromText('是', { key: 'vip', type: 'boolean' })).toBe(true);
  });

  it('walk: a wrong answer is refused, naming the question', () => {
    const r = walkCommand(AGE, {}, { tags: [], fields: [], answers: [['age', 'old']] }, true);
    expect(r.exitCode).toBe(1);
    expect(json(r)).toEqual({
      valid: false,
      errors: [{ question: 'age', code: 'invalid_answer', message: expect.any(String) as string }],
    });
  });

  it('the installed command exits 1 with the JSON errors (no database needed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outdial-q-'));
    const file = join(dir, 'loop.json');
    const loop = structuredClone(RENEW);
    loop.questions[1]!.next = [{ goto: 'q1' }] as never;
    writeFileSync(file, JSON.stringify(loop));
    const bin = fileURLToPath(new URL('../../bin/outdial.mjs', import.meta.url));
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile(
          process.execPath,
          [bin, ...args],
          { cwd: dir, env: { ...process.env, OUTDIAL_DATA_DIR: dir } },
          (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
        ),
      );
    const r = await run(['questionnaire', 'check', file, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, errors: [{ question: 'q1', code: 'cycle' }] });
  });
});
