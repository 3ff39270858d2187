import { useState } from 'react';
import { App, Button, Card, Progress, Select, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText } from '../errors.ts';
import { useNow } from '../util.ts';
import type { useDesk, Preview } from './useDesk.ts';
import { useShortcuts } from './shortcuts.ts';

const SKIP_REASONS = ['not_suitable', 'wrong_time', 'duplicate', 'other'] as const;

/** 预览外呼: the next contact before any dial, with Dial / Skip (reason) and the time left. */
export function PreviewCard({
  preview,
  request,
}: {
  preview: Preview;
  request: ReturnType<typeof useDesk>['request'];
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const now = useNow(250);
  const [reason, setReason] = useState<string>('not_suitable');
  const left = Math.max(0, Math.ceil(preview.timeoutS - (now - preview.receivedAt) / 1000));
  const act = async (m: Parameters<typeof request>[0]) => {
    try {
      await request(m);
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  useShortcuts({ d: () => void act({ type: 'preview_dial' }), s: () => void act({ type: 'preview_skip', reason }) });
  return (
    <Card
      size="small"
      title={t('preview.title')}
      style={{ marginBottom: 12, borderColor: '#1668dc' }}
      data-testid="preview-card"
    >
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text strong style={{ fontSize: 16 }}>
          {preview.contact?.name ?? '—'} · {preview.contact?.phone}
        </Typography.Text>
        <Progress
          aria-label={t('preview.timeLeft', { s: left })}
          percent={Math.round((left / preview.timeoutS) * 100)}
          showInfo={false}
          size="small"
        />
        <Typography.Text type="secondary">{t('preview.timeLeft', { s: left })}</Typography.Text>
        <Space wrap>
          <Button type="primary" onClick={() => void act({ type: 'preview_dial' })} data-testid="preview-dial">
            {t('preview.dial')}
          </Button>
          <Select
            aria-label={t('preview.skipReason')}
            value={reason}
            onChange={setReason}
            style={{ width: 140 }}
            options={SKIP_REASONS.map((r) => ({ value: r, label: t(`preview.skipReasons.${r}`) }))}
          />
          <Button onClick={() => void act({ type: 'preview_skip', reason })}>{t('preview.skip')}</Button>
        </Space>
      </Space>
    </Card>
  );
}
