import { useState } from 'react';
import { Alert, App, Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { webhooks } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';
import { PageHeader } from './common.tsx';

const EVENTS = [
  'disposition.recorded',
  'order.created',
  'contact.closed',
  'import.finished',
  'campaign.status_changed',
] as const;
type Event = (typeof EVENTS)[number];

export function WebhooksPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const list = useQuery({ queryKey: ['webhooks'], queryFn: () => call(webhooks.listWebhooks) });
  const messages = useQuery({
    queryKey: ['webhook-messages'],
    queryFn: () => call(webhooks.listWebhookMessages, { query: { pageSize: 20 } }),
  });
  const create = async (v: { url: string; events: Event[]; description?: string }) => {
    try {
      const r = await call(webhooks.createWebhook, { body: v });
      setSecret(r.secret);
      setOpen(false);
      await qc.invalidateQueries({ queryKey: ['webhooks'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const toggle = async (id: string, active: boolean) => {
    try {
      await call(webhooks.updateWebhook, { params: { id }, body: { active } });
      await qc.invalidateQueries({ queryKey: ['webhooks'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  return (
    <>
      <PageHeader
        title={t('nav.webhooks')}
        extra={
          <Button type="primary" onClick={() => setOpen(true)}>
            {t('webhooks.new')}
          </Button>
        }
      />
      {secret && (
        <Alert
          type="warning"
          showIcon
          closable
          onClose={() => setSecret(null)}
          title={t('webhooks.secret')}
          description={
            <Typography.Text copyable code>
              {secret}
            </Typography.Text>
          }
          style={{ marginBottom: 12 }}
        />
      )}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Table
          size="small"
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          columns={[
            { title: t('webhooks.url'), dataIndex: 'url' },
            { title: t('webhooks.events'), render: (_, w) => w.events.map((e) => <Tag key={e}>{e}</Tag>) },
            {
              title: t('common.enabled'),
              render: (_, w) => (
                <Switch
                  size="small"
                  aria-label={t('common.enabled')}
                  checked={w.active}
                  onChange={(v) => void toggle(w.id, v)}
                />
              ),
            },
            { title: t('common.created'), render: (_, w) => dateTime(w.createdAt) },
          ]}
        />
      </Card>
      <Card size="small" title={t('webhooks.messages')}>
        <Table
          size="small"
          rowKey="id"
          loading={messages.isLoading}
          dataSource={messages.data?.items ?? []}
          pagination={false}
          columns={[
            { title: t('webhooks.events'), dataIndex: 'eventType' },
            { title: t('common.status'), render: (_, m) => <Tag>{m.status}</Tag> },
            { title: t('webhooks.attempts'), dataIndex: 'attempts' },
            { title: t('common.created'), render: (_, m) => dateTime(m.createdAt) },
          ]}
        />
      </Card>
      <Modal open={open} title={t('webhooks.new')} onCancel={() => setOpen(false)} footer={null} destroyOnHidden>
        <Form
          layout="vertical"
          onFinish={(v: { url: string; events: Event[]; description?: string }) => void create(v)}
        >
          <Form.Item name="url" label={t('webhooks.url')} rules={[{ required: true, type: 'url' }]}>
            <Input placeholder="https://…" />
          </Form.Item>
          <Form.Item name="events" label={t('webhooks.events')} rules={[{ required: true }]}>
            <Select mode="multiple" options={EVENTS.map((e) => ({ value: e, label: e }))} />
          </Form.Item>
          <Form.Item name="description" label={t('common.details')}>
            <Input />
          </Form.Item>
          <Space>
            <Button onClick={() => setOpen(false)}>{t('common.cancel')}</Button>
            <Button type="primary" htmlType="submit">
              {t('common.create')}
            </Button>
          </Space>
        </Form>
      </Modal>
    </>
  );
}
