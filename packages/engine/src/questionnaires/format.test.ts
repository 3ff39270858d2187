import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkQuestionnaire, parseQuestionnaire } from './format.ts';

const RENEW_TEXT = `{"format":"outdial.questionnaire/1","code":"RENEW","title":{"zh":"续保回访","en":"Renewal"},
 "start":"q1",
 "questions":[
  {"key":"q1","type":"single","text":{"zh":"请问您是{name}本人吗？","en":"Am I speaking to {name}?"},
   "options":[{"value":"yes","label":{"zh":"是","en":"Yes"}},{"value":"no","label":{"zh":"否","en":"No"}}],
   "required":true,
   "next":[{"if":{"answer":"q1","eq":"no"},"goto":"end"},{"goto":"q2"}]},
  {"key":"q2","type":"text","text":{"zh":"…","en":"…"},"showIf":{"tag":"上海"}}]}`;

describe('the exchange format', () => {
  it('reads the issue example exactly as written', () => {
    const r = checkQuestionnaire(JSON.parse(RENEW_TEXT));
    expect(r.issues).toEqual([]);
    expect(r.doc?.questions.map((q) => q.key)).toEqual(['q1', 'q2']);
  });

  it('names the question a shape problem is in', () => {
    const doc = JSON.parse(RENEW_TEXT) as { questions: Record<string, unknown>[] };
    doc.questions[1]!['type'] = 'essay';
    doc.questions[0]!['next'] = [{ if: { answer: 'q1', equals: 'no' }, goto: 'end' }];
    const r = parseQuestionnaire(doc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.question, i.code])).toEqual([
      ['q1', 'invalid_document'],
      ['q2', 'invalid_document'],
    ]);
    expect(r.issues[1]!.message).toMatch(/^type/);
  });

  it('refuses other formats, non-objects and absurd nesting with one clear issue', () => {
    expect(parseQuestionnaire([])).toMatchObject({ ok: false, issues: [{ code: 'invalid_document' }] });
    expect(parseQuestionnaire({ format: 'outdial.questionnaire/2' })).toMatchObject({
      ok: false,
      issues: [{ code: 'unsupported_format' }],
    });
    let c: unknown = { tag: 'x' };
    for (let i = 0; i < 10_000; i++) c = { not: c };
    const deep = JSON.parse(RENEW_TEXT) as { questions: Record<string, unknown>[] };
    deep.questions[1]!['showIf'] = c;
    expect(parseQuestionnaire(deep)).toMatchObject({ ok: false, issues: [{ code: 'too_deep' }] });
  });

  it('unknown properties are refused, not dropped (a typo is seen)', () => {
    const doc = JSON.parse(RENEW_TEXT) as { questions: Record<string, unknown>[] };
    doc.questions[1]!['reqired'] = true;
    expect(checkQuestionnaire(doc).issues).toMatchObject([{ question: 'q2', code: 'invalid_document' }]);
  });

  it('never throws on arbitrary JSON, and every issue has a code and words', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ format: fc.constant('outdial.questionnaire/1'), questions: fc.jsonValue() }),
        ),
        (v) => {
          const r = checkQuestionnaire(v);
          for (const i of r.issues) {
            expect(i.code).toMatch(/^[a-z_]+$/);
            expect(i.message.length).toBeGreaterThan(0);
          }
          if (r.issues.length === 0) expect(r.doc).not.toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });
});
