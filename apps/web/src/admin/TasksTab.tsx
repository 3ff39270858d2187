import { useState } from 'react';
import { App, Button, Card, Form, InputNumber, Select, Space, Table, Tag } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { org, tasks } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';

type Strategy = 'even' | 'manual' | 'queue';
interface Values {
  strategy: Strategy;
  agentUserId?: string;
  skill?: string;
  limit: number;
}

/** 外呼任务: assign open contacts (evenly, to one agent, to a skill queue) and see the tasks. */
export function TasksTab({ code }: { code: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [page, setPage] = useState(1);
  const [form] = Form.useForm<Values>();
  const strategy = Form.useWatch('strategy', form);
  const list = useQuery({
    queryKey: ['tasks', code, page],
    queryFn: () => call(tasks.listTasks, { query: { project: code, status: 'open', page, pageSize: 20 } }),
  });
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => call(org.listAgents, { query: {} }) });
  const skills = useQuery({ queryKey: ['skill-groups'], queryFn: () => call(org.listSkillGroups) });
  const names = new Map((agents.data ?? []).map((a) => [a.userId, a.displayName]));
  const assign = async (v: Values) => {
    try {
      const r = await call(tasks.assignTasks, {
        params: { code },
        body: {
          strategy: v.strategy,
          limit: v.limit,
          ...(v.strategy === 'manual' && v.agentUserId ? { agentUserId: v.agentUserId } : {}),
          ...(v.strategy === 'queue' && v.skill ? { skill: v.skill } : {}),
        },
      });
      void message.success(t('tasks.assigned', { n: r.created }));
      await qc.invalidateQueries({ queryKey: ['tasks', code] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const modeKey: Record<Strategy, 'even' | 'agent' | 'skill'> = { even: 'even', manual: 'agent', queue: 'skill' };
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Card size="small" title={t('tasks.assign')}>
        <Form<Values>
          form={form}
          layout="inline"
          initialValues={{ strategy: 'even', limit: 100 }}
          onFinish={(v) => void assign(v)}
        >
          <Form.Item name="strategy" label={t('tasks.mode')}>
            <Select
              style={{ width: 200 }}
              options={(['even', 'manual', 'queue'] as const).map((s) => ({
                value: s,
                label: t(`tasks.modes.${modeKey[s]}`),
              }))}
            />
          </Form.Item>
          {strategy === 'manual' && (
            <Form.Item name="agentUserId" label={t('tasks.agent')} rules={[{ required: true }]}>
              <Select
                style={{ width: 180 }}
                options={(agents.data ?? []).map((a) => ({ value: a.userId, label: a.displayName }))}
              />
            </Form.Item>
          )}
          {strategy === 'queue' && (
            <Form.Item name="skill" label={t('tasks.skill')} rules={[{ required: true }]}>
              <Select
                style={{ width: 180 }}
                options={(skills.data ?? []).map((s) => ({ value: s.code, label: s.name }))}
              />
            </Form.Item>
          )}
          <Form.Item name="limit" label={t('common.total', { count: 0 }).replace(/\d+/, '').trim() || 'N'}>
            <InputNumber min={1} max={100000} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t('tasks.assign')}
          </Button>
        </Form>
      </Card>
      <Card size="small" title={t('tasks.open')}>
        <Table
          size="small"
          rowKey="id"
          loading={list.isLoading}
          dataSource={list.data?.items ?? []}
          pagination={{
            current: page,
            pageSize: 20,
            total: list.data?.total ?? 0,
            onChange: setPage,
            showSizeChanger: false,
          }}
          columns={[
            {
              title: t('tasks.agent'),
              render: (_, r) =>
                r.assigneeUserId ? (names.get(r.assigneeUserId) ?? r.assigneeUserId.slice(0, 8)) : '—',
            },
            { title: t('tasks.state'), render: (_, r) => <Tag>{r.status}</Tag> },
            { title: t('tasks.due'), render: (_, r) => dateTime(r.dueAt) },
            { title: t('common.created'), render: (_, r) => dateTime(r.createdAt) },
          ]}
        />
      </Card>
    </Space>
  );
}
