import { useState } from 'react';
import { useNavigate } from 'react-router';
import { App, Button, Card, Form, Input, Modal, Table, Tag } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { projects } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { PageHeader } from './common.tsx';

/** New projects start with workable rules; everything is editable on the project's page. */
const DEFAULT_RULES = {
  closing: { maxAttempts: 5, windowDays: 30, closeOnSuccess: true },
  callingWindows: Object.fromEntries(
    ['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, [{ start: '09:00', end: '20:00' }]]),
  ),
  holidays: [],
  retryDelaysMinutes: { busy: 30, noAnswer: 120, machine: 240, abandoned: 60, failed: 60 },
  dailyNumberCap: 3,
  maxAbandonRate: 0.03,
};
const DEFAULT_DISPOSITIONS = [
  { code: 'success', labelZh: '成功', labelEn: 'Success', success: true, closes: true, addsToDnc: false },
  {
    code: 'callback',
    labelZh: '预约回呼',
    labelEn: 'Call back',
    success: false,
    closes: false,
    addsToDnc: false,
    callback: 'agent' as const,
  },
  { code: 'no_interest', labelZh: '无意向', labelEn: 'Not interested', success: false, closes: true, addsToDnc: false },
  { code: 'do_not_call', labelZh: '勿扰', labelEn: 'Do not call', success: false, closes: true, addsToDnc: true },
];

export function ProjectsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ code: string; name: string }>();
  const list = useQuery({
    queryKey: ['projects'],
    queryFn: () => call(projects.listProjects, { query: { pageSize: 100 } }),
  });
  const create = async (v: { code: string; name: string }) => {
    try {
      await call(projects.createProject, {
        body: { code: v.code, name: v.name, rules: DEFAULT_RULES, dispositions: DEFAULT_DISPOSITIONS },
      });
      void message.success(t('project.created'));
      setOpen(false);
      await qc.invalidateQueries({ queryKey: ['projects'] });
      void navigate(`/admin/projects/${encodeURIComponent(v.code)}`);
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  return (
    <>
      <PageHeader
        title={t('project.list')}
        extra={
          <Button type="primary" onClick={() => setOpen(true)} data-testid="new-project">
            {t('project.new')}
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
          onRow={(p) => ({
            onClick: () => void navigate(`/admin/projects/${encodeURIComponent(p.code)}`),
            style: { cursor: 'pointer' },
          })}
          columns={[
            {
              title: t('project.code'),
              dataIndex: 'code',
              render: (c: string) => (
                <a href={`/admin/projects/${encodeURIComponent(c)}`} onClick={(e) => e.preventDefault()}>
                  {c}
                </a>
              ),
            },
            { title: t('project.name'), dataIndex: 'name' },
            { title: t('project.region'), dataIndex: 'defaultRegion' },
            { title: t('project.timezone'), dataIndex: 'defaultTimezone' },
            { title: t('common.status'), dataIndex: 'status', render: (s: string) => <Tag>{s}</Tag> },
          ]}
        />
      </Card>
      <Modal
        open={open}
        title={t('project.new')}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={(v) => void create(v)} preserve={false}>
          <Form.Item
            name="code"
            label={t('project.code')}
            rules={[{ required: true, pattern: /^[A-Za-z0-9_-]{1,40}$/, message: t('project.code') }]}
          >
            <Input data-testid="project-code" />
          </Form.Item>
          <Form.Item name="name" label={t('project.name')} rules={[{ required: true, message: t('project.name') }]}>
            <Input data-testid="project-name" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
