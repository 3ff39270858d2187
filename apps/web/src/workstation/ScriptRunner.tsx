import { useState } from 'react';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  DatePicker,
  Input,
  InputNumber,
  Progress,
  Radio,
  Rate,
  Space,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText } from '../errors.ts';
import { useLocal } from '../util.ts';
import type { Answers, ScriptState } from './useDesk.ts';

type Value = string | number | string[] | null;

/**
 * 问卷: the call's questionnaire as the server walks it — the script to read, the question now
 * due (placeholders already filled for this contact), required answers, and the jumps: each
 * answer is sent and the server answers with the next step on this contact's path.
 */
export function ScriptRunner({
  script,
  save,
}: {
  script: ScriptState | null;
  save: (a: Answers) => Promise<ScriptState>;
}) {
  const { t } = useTranslation();
  const { text } = useLocal();
  const { message } = App.useApp();
  const [value, setValue] = useState<Value>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!script)
    return (
      <Card size="small" title={t('script.title')} style={{ marginBottom: 12 }}>
        <Typography.Text type="secondary">{t('script.none')}</Typography.Text>
      </Card>
    );
  const q = script.next;
  const total = script.progress.done + script.progress.remaining;

  const submit = async () => {
    if (!q) return;
    if (q.required && (value === null || value === '' || (Array.isArray(value) && value.length === 0))) {
      setError(t('script.required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await save({ ...(script.answers as Answers), [q.key]: value });
      setValue(null);
    } catch (err) {
      setError(errorText(t, err));
      void message.error(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const input = () => {
    if (!q) return null;
    const label = text(q.text);
    switch (q.type) {
      case 'single':
        return (
          <Radio.Group aria-label={label} value={value} onChange={(e) => setValue(e.target.value as string)}>
            <Space orientation="vertical">
              {(q.options ?? []).map((o) => (
                <Radio key={o.value} value={o.value}>
                  {text(o.label)}
                </Radio>
              ))}
            </Space>
          </Radio.Group>
        );
      case 'multiple':
        return (
          <Checkbox.Group
            aria-label={label}
            value={Array.isArray(value) ? value : []}
            onChange={(v) => setValue(v)}
            options={(q.options ?? []).map((o) => ({ value: o.value, label: text(o.label) }))}
          />
        );
      case 'number':
        return (
          <InputNumber
            aria-label={label}
            min={q.min}
            max={q.max}
            value={typeof value === 'number' ? value : null}
            onChange={(v) => setValue(v)}
          />
        );
      case 'rating':
        return (
          <Rate
            aria-label={label}
            count={q.max ?? 5}
            value={typeof value === 'number' ? value : 0}
            onChange={(v) => setValue(v)}
          />
        );
      case 'date':
        return <DatePicker aria-label={label} onChange={(d) => setValue(d ? d.format('YYYY-MM-DD') : null)} />;
      case 'script':
        return null;
      case 'text':
        return (
          <Input.TextArea
            aria-label={label}
            maxLength={q.maxLength}
            rows={2}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => setValue(e.target.value)}
          />
        );
    }
  };

  return (
    <Card
      size="small"
      title={`${t('script.title')} · ${text(script.questionnaire.title)}`}
      style={{ marginBottom: 12 }}
      data-testid="script-runner"
    >
      <Progress
        aria-label={t('script.title')}
        percent={total ? Math.round((script.progress.done / total) * 100) : 100}
        size="small"
        format={() => t('script.progress', { done: script.progress.done, remaining: script.progress.remaining })}
      />
      {script.scripts.map((s) => (
        <Alert
          key={s.key}
          type="info"
          title={t('script.read')}
          description={text(s.text)}
          style={{ margin: '8px 0' }}
        />
      ))}
      {q ? (
        <div data-testid={`question-${q.key}`} style={{ marginTop: 8 }}>
          <Typography.Paragraph strong style={{ fontSize: 15, marginBottom: 4 }}>
            {text(q.text)} {q.required && <Typography.Text type="danger">*</Typography.Text>}
          </Typography.Paragraph>
          {q.hint && <Typography.Paragraph type="secondary">{text(q.hint)}</Typography.Paragraph>}
          {input()}
          {error && <Alert type="error" title={error} style={{ marginTop: 8 }} showIcon />}
          <div style={{ marginTop: 8 }}>
            <Button type="primary" onClick={() => void submit()} loading={busy} data-testid="script-next">
              {t('script.next')}
            </Button>
          </div>
        </div>
      ) : (
        <Alert
          type={script.complete ? 'success' : 'warning'}
          showIcon
          title={script.complete ? t('script.complete') : (script.missing?.message ?? t('script.missing'))}
          style={{ marginTop: 8 }}
          data-testid="script-complete"
        />
      )}
    </Card>
  );
}
