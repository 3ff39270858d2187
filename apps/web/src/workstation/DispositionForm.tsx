import { useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Form, Input, InputNumber, Select, Space } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { errorText } from '../errors.ts';
import { useLocal } from '../util.ts';
import type { CurrentCall, useDesk } from './useDesk.ts';
import { useShortcuts } from './shortcuts.ts';
import { useProjectOf } from './project.ts';

interface Values {
  code?: string;
  callbackAt?: Dayjs;
  notes?: string;
  pause?: string;
  lines?: { sku: string; quantity: number }[];
}

/** 小结: code (searchable, Alt+1…9), callback time, notes (matched against knowledge prompts), order lines. */
export function DispositionForm({
  call,
  request,
  onDone,
  wrapping,
}: {
  call: CurrentCall;
  /** The agent's state says wrap-up (the line is released even if its call_ended was missed). */
  wrapping: boolean;
  request: ReturnType<typeof useDesk>['request'];
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const { label } = useLocal();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const project = useProjectOf(call.contact?.projectId);
  const code = Form.useWatch('code', form);
  const def = project.data?.dispositions?.find((d) => d.code === code);
  const needsCallback = !!def?.callback || (!def && !!code?.includes('callback'));
  const wrapUp = call.endedOutcome !== null || wrapping;

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    try {
      const lines = (v.lines ?? []).filter((l) => l.sku && l.quantity);
      await request({
        type: 'disposition',
        code: v.code!,
        ...(v.notes ? { notes: v.notes } : {}),
        ...(v.callbackAt ? { callbackAt: v.callbackAt.toDate().toISOString() } : {}),
        ...(v.pause ? { pause: v.pause } : {}),
        ...(call.script ? { answers: call.script.answers } : {}),
        ...(lines.length ? { order: { lines } } : {}),
      });
      void message.success(t('dispo.saved'));
      onDone();
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const shortcuts: Record<string, () => unknown> = { enter: () => wrapUp && form.submit() };
  call.dispositions
    .slice(0, 9)
    .forEach((d, i) => (shortcuts[String(i + 1)] = () => form.setFieldValue('code', d.code)));
  useShortcuts(shortcuts);

  return (
    <Card size="small" title={t('dispo.title')} data-testid="disposition-form">
      <Form<Values> form={form} layout="vertical" onFinish={(v) => void submit(v)} disabled={busy}>
        <Form.Item name="code" label={t('dispo.code')} rules={[{ required: true, message: t('dispo.needCode') }]}>
          <Select
            showSearch={{ optionFilterProp: 'label' }}
            placeholder={t('dispo.searchCodes')}
            data-testid="dispo-code"
            options={call.dispositions.map((d, i) => ({
              value: d.code,
              label: `${i < 9 ? `${i + 1}. ` : ''}${label(d)}`,
            }))}
          />
        </Form.Item>
        {needsCallback && (
          <Form.Item
            name="callbackAt"
            label={t('dispo.callbackAt')}
            rules={[{ required: true, message: t('dispo.needCallback') }]}
          >
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="dispo-callback" />
          </Form.Item>
        )}
        <Form.Item name="notes" label={t('dispo.notes')}>
          <Input.TextArea
            rows={3}
            maxLength={4000}
            data-testid="dispo-notes"
            onBlur={(e) => {
              const text = e.target.value.trim();
              if (text && !wrapUp) void request({ type: 'notes', text }).catch(() => undefined);
            }}
          />
        </Form.Item>
        {def?.success && (
          <Form.List name="lines">
            {(fields, { add, remove }) => (
              <Form.Item label={t('dispo.order')}>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline">
                    <Form.Item name={[f.name, 'sku']} rules={[{ required: true, message: t('dispo.sku') }]}>
                      <Input placeholder={t('dispo.sku')} aria-label={t('dispo.sku')} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'quantity']} initialValue={1}>
                      <InputNumber min={1} aria-label={t('dispo.quantity')} />
                    </Form.Item>
                    <Button onClick={() => remove(f.name)}>{t('common.remove')}</Button>
                  </Space>
                ))}
                <Button type="dashed" onClick={() => add()}>
                  {t('dispo.addLine')}
                </Button>
              </Form.Item>
            )}
          </Form.List>
        )}
        <Form.Item name="pause" label={t('dispo.pauseAfter')}>
          <Select
            allowClear
            data-testid="dispo-pause"
            options={['break', 'lunch', 'training', 'meeting'].map((r) => ({
              value: r,
              label: t(`agent.pauseReasons.${r}`),
            }))}
          />
        </Form.Item>
        {error && <Alert type="error" title={error} showIcon style={{ marginBottom: 12 }} role="alert" />}
        <Button type="primary" htmlType="submit" loading={busy} disabled={!wrapUp} data-testid="dispo-submit">
          {t('dispo.submit')}
        </Button>
      </Form>
    </Card>
  );
}
