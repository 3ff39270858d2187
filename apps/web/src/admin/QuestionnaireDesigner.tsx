import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Col, Empty, Input, Row, Select, Space, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { questionnaires, type projects } from '@outdial/contracts';
import { renderText, walk, type QuestionnaireDoc } from '@outdial/domain/questionnaires';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { useLocal } from '../util.ts';

type Doc = questionnaires.Questionnaire['draft'];
type Question = Doc['questions'][number];
type Issue = questionnaires.CheckResult['errors'][number];
const TYPES = ['single', 'multiple', 'text', 'number', 'rating', 'date', 'script'] as const;

const NEW_DOC = (code: string): Doc => ({
  format: 'outdial.questionnaire/1',
  code,
  title: { zh: '新问卷', en: 'New questionnaire' },
  questions: [
    { key: 'greeting', type: 'script', text: { zh: '您好，请问是{name}吗？', en: 'Hello, am I speaking to {name}?' } },
    {
      key: 'q1',
      type: 'single',
      text: { zh: '您是否有兴趣？', en: 'Are you interested?' },
      required: true,
      options: [
        { value: 'yes', label: { zh: '是', en: 'Yes' } },
        { value: 'no', label: { zh: '否', en: 'No' } },
      ],
      next: [{ if: { answer: 'q1', eq: 'no' }, goto: 'end' }],
    },
  ],
});

/** 问卷设计: questions, conditions and jumps; the server's check shown on each question; publish; a preview walk. */
export function QuestionnaireDesigner({ project }: { project: projects.Project }) {
  const { t } = useTranslation();
  const { text } = useLocal();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const list = useQuery({
    queryKey: ['questionnaires', project.code],
    queryFn: () => call(questionnaires.listQuestionnaires, { params: { code: project.code } }),
  });
  const [selected, setSelected] = useState<string | null>(null);
  const id = selected ?? list.data?.items.find((q) => q.active)?.id ?? list.data?.items[0]?.id ?? null;
  const current = useQuery({
    queryKey: ['questionnaire', id],
    enabled: !!id,
    queryFn: () => call(questionnaires.getQuestionnaire, { params: { id: id! } }),
  });
  const [doc, setDoc] = useState<Doc | null>(null);
  const [issues, setIssues] = useState<Issue[] | null>(null);
  useEffect(() => {
    if (current.data) {
      setDoc(structuredClone(current.data.draft));
      setIssues(current.data.check.errors);
    }
  }, [current.data]);

  const run = async (fn: () => Promise<unknown>, ok?: string) => {
    try {
      await fn();
      if (ok) void message.success(ok);
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const check = () =>
    run(async () => {
      const r = await call(questionnaires.checkQuestionnaire, {
        params: { code: project.code },
        body: doc as Record<string, unknown>,
      });
      setIssues(r.errors);
      if (r.valid) void message.success(t('questionnaire.valid'));
    });
  const save = () =>
    run(async () => {
      const r = await call(questionnaires.importQuestionnaire, {
        params: { code: project.code },
        body: doc as Record<string, unknown>,
      });
      setIssues(r.check.errors);
      setSelected(r.id);
      await qc.invalidateQueries({ queryKey: ['questionnaires', project.code] });
      await qc.invalidateQueries({ queryKey: ['questionnaire', r.id] });
    }, t('questionnaire.imported'));
  const publish = () =>
    run(async () => {
      if (!id) return;
      const r = await call(questionnaires.publishQuestionnaire, { params: { id } });
      void message.success(t('questionnaire.published', { v: r.version }));
      if (!r.active) await call(questionnaires.activateQuestionnaire, { params: { id } });
      await qc.invalidateQueries({ queryKey: ['questionnaires', project.code] });
    });

  const setQ = (i: number, patch: Partial<Question>) =>
    setDoc((d) => (d ? { ...d, questions: d.questions.map((q, j) => (j === i ? { ...q, ...patch } : q)) } : d));
  const keys = doc?.questions.map((q) => q.key) ?? [];
  const issuesOf = (key: string | null) => (issues ?? []).filter((e) => e.question === key);

  return (
    <Row gutter={12}>
      <Col xs={24} xl={15}>
        <Card
          size="small"
          title={
            <Space wrap>
              <Select
                aria-label={t('questionnaire.list')}
                style={{ minWidth: 220 }}
                value={id ?? undefined}
                placeholder={t('questionnaire.list')}
                onChange={setSelected}
                options={(list.data?.items ?? []).map((q) => ({
                  value: q.id,
                  label: `${text(q.title)} (${q.code})${q.active ? ` · ${t('questionnaire.active')}` : ''}`,
                }))}
              />
              <Button onClick={() => setDoc(NEW_DOC(`Q${Date.now() % 100000}`))}>{t('common.create')}</Button>
            </Space>
          }
          extra={
            doc && (
              <Space>
                <Button onClick={() => void check()} data-testid="q-check">
                  {t('questionnaire.check')}
                </Button>
                <Button onClick={() => void save()}>{t('common.save')}</Button>
                <Button type="primary" onClick={() => void publish()} disabled={!id}>
                  {t('questionnaire.publish')}
                </Button>
              </Space>
            )
          }
        >
          {!doc ? (
            <Empty />
          ) : (
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Space wrap>
                <Input
                  aria-label={t('common.code')}
                  addonBefore={t('common.code')}
                  value={doc.code}
                  onChange={(e) => setDoc({ ...doc, code: e.target.value })}
                  style={{ width: 200 }}
                />
                <Input
                  aria-label={`${t('questionnaire.title')} 中文`}
                  addonBefore={`${t('questionnaire.title')} 中`}
                  value={doc.title.zh ?? ''}
                  onChange={(e) => setDoc({ ...doc, title: { ...doc.title, zh: e.target.value } })}
                />
                <Input
                  aria-label={`${t('questionnaire.title')} English`}
                  addonBefore={`${t('questionnaire.title')} EN`}
                  value={doc.title.en ?? ''}
                  onChange={(e) => setDoc({ ...doc, title: { ...doc.title, en: e.target.value } })}
                />
              </Space>
              {issues && issues.length === 0 && <Alert type="success" showIcon title={t('questionnaire.valid')} />}
              {issuesOf(null).map((e, i) => (
                <Alert key={i} type="error" showIcon title={`${e.code}: ${e.message}`} />
              ))}
              {issues && issues.length > 0 && (
                <Typography.Text type="danger">{t('questionnaire.problems', { n: issues.length })}</Typography.Text>
              )}
              {doc.questions.map((q, i) => (
                <QuestionCard
                  key={i}
                  q={q}
                  keys={keys}
                  issues={issuesOf(q.key)}
                  onChange={(patch) => setQ(i, patch)}
                  onRemove={() => setDoc({ ...doc, questions: doc.questions.filter((_, j) => j !== i) })}
                />
              ))}
              <Button
                type="dashed"
                onClick={() =>
                  setDoc({
                    ...doc,
                    questions: [
                      ...doc.questions,
                      { key: `q${doc.questions.length + 1}`, type: 'text', text: { zh: '', en: '' } },
                    ],
                  })
                }
              >
                {t('questionnaire.addQuestion')}
              </Button>
            </Space>
          )}
        </Card>
      </Col>
      <Col xs={24} xl={9}>
        {doc && <PreviewWalk doc={doc} />}
      </Col>
    </Row>
  );
}

function QuestionCard({
  q,
  keys,
  issues,
  onChange,
  onRemove,
}: {
  q: Question;
  keys: string[];
  issues: Issue[];
  onChange: (patch: Partial<Question>) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const [showIf, setShowIf] = useState(q.showIf ? JSON.stringify(q.showIf) : '');
  const choice = q.type === 'single' || q.type === 'multiple';
  const rules = q.next ?? [];
  const ruleAnswer = (r: (typeof rules)[number]) => {
    const c = r.if as { answer?: string; eq?: string | number | boolean } | undefined;
    return { answer: c?.answer, eq: c?.eq === undefined ? '' : String(c.eq) };
  };
  return (
    <Card
      size="small"
      type="inner"
      data-testid={`q-card-${q.key}`}
      style={{ borderColor: issues.length ? '#ff4d4f' : undefined }}
      title={
        <Space wrap>
          <Input
            aria-label={t('questionnaire.key')}
            value={q.key}
            onChange={(e) => onChange({ key: e.target.value })}
            style={{ width: 110 }}
          />
          <Select
            aria-label={t('questionnaire.type')}
            value={q.type}
            placeholder={q.bank ?? t('questionnaire.type')}
            style={{ width: 120 }}
            onChange={(type) => onChange({ type })}
            options={TYPES.map((x) => ({ value: x, label: t(`questionnaire.types.${x}`) }))}
          />
          {q.type !== 'script' && (
            <Checkbox checked={!!q.required} onChange={(e) => onChange({ required: e.target.checked })}>
              {t('project.required')}
            </Checkbox>
          )}
        </Space>
      }
      extra={
        <Button size="small" onClick={onRemove}>
          {t('common.remove')}
        </Button>
      }
    >
      {q.bank && <Tag style={{ marginBottom: 8 }}>{t('questionnaire.bank', { code: q.bank })}</Tag>}
      {issues.map((e, i) => (
        <Alert
          key={i}
          type="error"
          showIcon
          title={`${e.code}: ${e.message}`}
          style={{ marginBottom: 8 }}
          data-testid="q-issue"
        />
      ))}
      <Input.TextArea
        aria-label={`${t('questionnaire.text')} 中文`}
        placeholder={`${t('questionnaire.text')} (中文)`}
        autoSize
        value={q.text?.zh ?? ''}
        onChange={(e) => onChange({ text: { ...q.text, zh: e.target.value } })}
        style={{ marginBottom: 4 }}
      />
      <Input.TextArea
        aria-label={`${t('questionnaire.text')} English`}
        placeholder={`${t('questionnaire.text')} (English)`}
        autoSize
        value={q.text?.en ?? ''}
        onChange={(e) => onChange({ text: { ...q.text, en: e.target.value } })}
      />
      {choice && (
        <div style={{ marginTop: 8 }}>
          <Typography.Text type="secondary">{t('questionnaire.options')}</Typography.Text>
          {(q.options ?? []).map((o, i) => (
            <Space key={i} style={{ display: 'flex', marginTop: 4 }}>
              <Input
                aria-label={t('questionnaire.optionValue')}
                placeholder={t('questionnaire.optionValue')}
                value={o.value}
                style={{ width: 100 }}
                onChange={(e) =>
                  onChange({
                    options: (q.options ?? []).map((x, j) => (j === i ? { ...x, value: e.target.value } : x)),
                  })
                }
              />
              <Input
                aria-label={`${t('questionnaire.optionLabel')} 中`}
                placeholder="中文"
                value={o.label.zh ?? ''}
                onChange={(e) =>
                  onChange({
                    options: (q.options ?? []).map((x, j) =>
                      j === i ? { ...x, label: { ...x.label, zh: e.target.value } } : x,
                    ),
                  })
                }
              />
              <Input
                aria-label={`${t('questionnaire.optionLabel')} EN`}
                placeholder="English"
                value={o.label.en ?? ''}
                onChange={(e) =>
                  onChange({
                    options: (q.options ?? []).map((x, j) =>
                      j === i ? { ...x, label: { ...x.label, en: e.target.value } } : x,
                    ),
                  })
                }
              />
              <Button size="small" onClick={() => onChange({ options: (q.options ?? []).filter((_, j) => j !== i) })}>
                {t('common.remove')}
              </Button>
            </Space>
          ))}
          <Button
            size="small"
            type="dashed"
            style={{ marginTop: 4 }}
            onClick={() => onChange({ options: [...(q.options ?? []), { value: '', label: { zh: '', en: '' } }] })}
          >
            {t('common.add')}
          </Button>
        </div>
      )}
      <div style={{ marginTop: 8 }}>
        <Typography.Text type="secondary">{t('questionnaire.showIf')}</Typography.Text>
        <Input
          aria-label={t('questionnaire.showIf')}
          placeholder='{"tag":"上海"}'
          value={showIf}
          onChange={(e) => {
            setShowIf(e.target.value);
            try {
              onChange({
                showIf: e.target.value.trim() ? (JSON.parse(e.target.value) as Question['showIf']) : undefined,
              });
            } catch {
              // kept as typed until it is valid JSON
            }
          }}
        />
      </div>
      <div style={{ marginTop: 8 }}>
        <Typography.Text type="secondary">{t('questionnaire.jumps')}</Typography.Text>
        {rules.map((r, i) => {
          const a = ruleAnswer(r);
          const set = (patch: { answer?: string; eq?: string; goto?: string }) => {
            const answer = patch.answer ?? a.answer ?? q.key;
            const eq = patch.eq ?? a.eq;
            const next = rules.map((x, j) =>
              j === i ? { ...(eq !== '' ? { if: { answer, eq } } : {}), goto: patch.goto ?? x.goto } : x,
            );
            onChange({ next });
          };
          return (
            <Space key={i} wrap style={{ display: 'flex', marginTop: 4 }}>
              <Typography.Text>{t('questionnaire.answerValue')}</Typography.Text>
              <Input
                aria-label={t('questionnaire.answerValue')}
                value={a.eq}
                style={{ width: 100 }}
                onChange={(e) => set({ eq: e.target.value })}
              />
              <Typography.Text>{t('questionnaire.jumpTo')}</Typography.Text>
              <Select
                aria-label={t('questionnaire.jumpTo')}
                value={r.goto}
                style={{ width: 130 }}
                onChange={(goto) => set({ goto })}
                options={[...keys.filter((k) => k !== q.key), 'end'].map((k) => ({
                  value: k,
                  label: k === 'end' ? t('questionnaire.end') : k,
                }))}
              />
              <Button size="small" onClick={() => onChange({ next: rules.filter((_, j) => j !== i) })}>
                {t('common.remove')}
              </Button>
            </Space>
          );
        })}
        <Button
          size="small"
          type="dashed"
          style={{ marginTop: 4, display: 'block' }}
          onClick={() => onChange({ next: [...rules, { goto: 'end' }] })}
        >
          {t('common.add')}
        </Button>
      </div>
    </Card>
  );
}

/** Walks the draft for a sample contact in the browser, with the same walk the server runs. */
function PreviewWalk({ doc }: { doc: Doc }) {
  const { t } = useTranslation();
  const { text } = useLocal();
  const [name, setName] = useState('张三');
  const [tags, setTags] = useState<string[]>([]);
  const [answers, setAnswers] = useState<Record<string, string | number | string[] | null>>({});
  const [value, setValue] = useState<string>('');
  const facts = useMemo(() => ({ tags, fields: { name } }), [tags, name]);
  const d = doc as unknown as QuestionnaireDoc;
  const result = useMemo(() => {
    try {
      return walk(d, facts, answers, { optionalAsBlank: false });
    } catch {
      return null;
    }
  }, [d, facts, answers]);
  const q = result?.next ? d.questions.find((x) => x.key === result.next) : undefined;
  return (
    <Card size="small" title={t('questionnaire.preview')} data-testid="q-preview">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Input
          aria-label={t('questionnaire.sampleContact')}
          addonBefore={t('questionnaire.sampleContact')}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Select
          mode="tags"
          aria-label={t('customer.tags')}
          placeholder={t('customer.tags')}
          value={tags}
          onChange={setTags}
          style={{ width: '100%' }}
        />
        <div>
          {(result?.path ?? []).map((k) => (
            <Tag key={k} color="#003eb3">
              {k}
              {answers[k] !== undefined ? `=${JSON.stringify(answers[k])}` : ''}
            </Tag>
          ))}
        </div>
        {result?.broken && <Alert type="error" title={`${result.broken.reason}: ${result.broken.question}`} />}
        {q ? (
          <>
            <Typography.Text strong>{text(renderText(q.text ?? { zh: q.key, en: q.key }, { name }))}</Typography.Text>
            {q.options ? (
              <Select
                aria-label={text(q.text) || q.key}
                value={value || undefined}
                onChange={setValue}
                options={q.options.map((o) => ({ value: o.value, label: text(o.label) }))}
                style={{ width: '100%' }}
              />
            ) : (
              <Input aria-label={text(q.text) || q.key} value={value} onChange={(e) => setValue(e.target.value)} />
            )}
            <Space>
              <Button
                type="primary"
                onClick={() => {
                  const v =
                    q.type === 'number' || q.type === 'rating'
                      ? Number(value)
                      : q.type === 'multiple'
                        ? [value]
                        : value;
                  setAnswers({ ...answers, [q.key]: v });
                  setValue('');
                }}
              >
                {t('script.next')}
              </Button>
              <Button onClick={() => setAnswers({})}>{t('common.refresh')}</Button>
            </Space>
          </>
        ) : (
          <Space>
            <Tag color="#237804">{t('questionnaire.end')}</Tag>
            <Button onClick={() => setAnswers({})}>{t('common.refresh')}</Button>
          </Space>
        )}
      </Space>
    </Card>
  );
}
