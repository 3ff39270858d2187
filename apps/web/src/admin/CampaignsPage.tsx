import { useState } from 'react';
import { App, Button, Card, Form, Input, InputNumber, Modal, Select, Space, Table, Tag } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { campaigns, projects } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';
import { PageHeader } from './common.tsx';
import { CAMPAIGN_COLOURS } from '../colours.ts';

const MODES = ['preview', 'progressive', 'power', 'predictive', 'ivr'] as const;
type Mode = (typeof MODES)[number];
interface Values {
  project: string;
  name: string;
  dialMode: Mode;
  abandonTarget: number;
  ringTimeoutSeconds: number;
  previewTimeoutSeconds: number;
}

export function CampaignsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<Values>();
  const list = useQuery({
    queryKey: ['campaigns'],
    queryFn: () => call(campaigns.listCampaigns, { query: { pageSize: 100 } }),
  });
  const plist = useQuery({
    queryKey: ['projects'],
    queryFn: () => call(projects.listProjects, { query: { pageSize: 100 } }),
  });
  const act = async (id: string, action: 'start' | 'pause' | 'resume' | 'stop') => {
    try {
      await call(campaigns.actOnCampaign, { params: { id, action } });
      await qc.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const create = async (v: Values) => {
    try {
      await call(campaigns.createCampaign, {
        body: {
          project: v.project,
          name: v.name,
          settings: {
            dialMode: v.dialMode,
            abandonTarget: v.abandonTarget / 100,
            ringTimeoutSeconds: v.ringTimeoutSeconds,
            previewTimeoutSeconds: v.previewTimeoutSeconds,
          },
        },
      });
      void message.success(t('campaign.created'));
      setOpen(false);
      await qc.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  return (
    <>
      <PageHeader
        title={t('nav.campaigns')}
        extra={
          <Button type="primary" onClick={() => setOpen(true)}>
            {t('campaign.new')}
          </Button>
        }
      />
      <Card size="small">
        <Table
          size="small"
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          columns={[
            { title: t('campaign.name'), dataIndex: 'name' },
            { title: t('common.project'), dataIndex: 'projectCode' },
            { title: t('wallboard.mode'), render: (_, c) => t(`campaign.modes.${c.settings.dialMode}`) },
            {
              title: t('common.status'),
              render: (_, c) => (
                <Space>
                  <Tag color={CAMPAIGN_COLOURS[c.status]}>{t(`campaign.status.${c.status}`)}</Tag>
                  {c.statusReason}
                </Space>
              ),
            },
            { title: t('common.created'), render: (_, c) => dateTime(c.createdAt) },
            {
              title: t('common.actions'),
              render: (_, c) => (
                <Space>
                  {c.actions
                    .filter((a): a is 'start' | 'pause' | 'resume' | 'stop' => a !== 'schedule')
                    .map((a) => (
                      <Button
                        key={a}
                        size="small"
                        danger={a === 'stop'}
                        onClick={() => void act(c.id, a)}
                        data-testid={`campaign-${a}`}
                      >
                        {t(`campaign.actions.${a}`)}
                      </Button>
                    ))}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Modal
        open={open}
        title={t('campaign.new')}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Form<Values>
          form={form}
          layout="vertical"
          preserve={false}
          initialValues={{
            dialMode: 'predictive',
            abandonTarget: 3,
            ringTimeoutSeconds: 25,
            previewTimeoutSeconds: 120,
          }}
          onFinish={(v) => void create(v)}
        >
          <Form.Item name="project" label={t('common.project')} rules={[{ required: true }]}>
            <Select
              options={(plist.data?.items ?? []).map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }))}
            />
          </Form.Item>
          <Form.Item name="name" label={t('campaign.name')} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="dialMode" label={t('wallboard.mode')}>
            <Select options={MODES.map((m) => ({ value: m, label: t(`campaign.modes.${m}`) }))} />
          </Form.Item>
          <Space wrap>
            <Form.Item name="abandonTarget" label={`${t('campaign.abandonTarget')} (%)`}>
              <InputNumber min={0} max={3} step={0.5} />
            </Form.Item>
            <Form.Item name="ringTimeoutSeconds" label={t('campaign.ringSeconds')}>
              <InputNumber min={15} max={120} />
            </Form.Item>
            <Form.Item name="previewTimeoutSeconds" label={t('campaign.previewTimeout')}>
              <InputNumber min={10} max={3600} />
            </Form.Item>
          </Space>
        </Form>
      </Modal>
    </>
  );
}
