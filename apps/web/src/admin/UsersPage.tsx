import { useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tabs, Tag } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { org, users } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';
import { PageHeader } from './common.tsx';

const ROLES = ['admin', 'supervisor', 'qa', 'agent'] as const;

/** Users and roles, teams, skill groups, agents' skills. */
export function UsersPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('nav.users')} />
      <Tabs
        type="card"
        items={[
          { key: 'users', label: t('users.users'), children: <UsersTab /> },
          { key: 'agents', label: t('roles.agent'), children: <AgentsTab /> },
          { key: 'teams', label: t('users.teams'), children: <NamedTab kind="teams" /> },
          { key: 'skills', label: t('users.skills'), children: <NamedTab kind="skills" /> },
        ]}
      />
    </>
  );
}

function useRun() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  return async (fn: () => Promise<unknown>, key: string, ok?: string) => {
    try {
      await fn();
      if (ok) void message.success(ok);
      await qc.invalidateQueries({ queryKey: [key] });
      return true;
    } catch (err) {
      void message.error(errorText(t, err));
      return false;
    }
  };
}

function UsersTab() {
  const { t } = useTranslation();
  const run = useRun();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState(false);
  const list = useQuery({
    queryKey: ['users', page],
    queryFn: () => call(users.listUsers, { query: { page, pageSize: 20 } }),
  });
  type Values = { username: string; displayName?: string; role: (typeof ROLES)[number]; password: string };
  const create = async (v: Values) => {
    if (await run(() => call(users.createUser, { body: v }), 'users', t('users.created'))) setOpen(false);
  };
  return (
    <Card
      size="small"
      extra={
        <Button type="primary" onClick={() => setOpen(true)}>
          {t('users.new')}
        </Button>
      }
    >
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
          { title: t('users.username'), dataIndex: 'username' },
          { title: t('users.displayName'), dataIndex: 'displayName' },
          {
            title: t('users.role'),
            render: (_, u) => (
              <Select
                size="small"
                aria-label={t('users.role')}
                value={u.role}
                style={{ width: 140 }}
                onChange={(role) =>
                  void run(() => call(users.updateUser, { params: { id: u.id }, body: { role } }), 'users')
                }
                options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
              />
            ),
          },
          {
            title: t('common.enabled'),
            render: (_, u) => (
              <Switch
                size="small"
                aria-label={t('common.enabled')}
                checked={!u.disabled}
                onChange={(on) =>
                  void run(() => call(users.updateUser, { params: { id: u.id }, body: { disabled: !on } }), 'users')
                }
              />
            ),
          },
          { title: t('common.created'), render: (_, u) => dateTime(u.createdAt) },
        ]}
      />
      <Modal open={open} title={t('users.new')} onCancel={() => setOpen(false)} footer={null} destroyOnHidden>
        <Form<Values> layout="vertical" initialValues={{ role: 'agent' }} onFinish={(v) => void create(v)}>
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true, min: 2 }]}>
            <Input />
          </Form.Item>
          <Form.Item name="displayName" label={t('users.displayName')}>
            <Input />
          </Form.Item>
          <Form.Item name="role" label={t('users.role')}>
            <Select options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
          </Form.Item>
          <Form.Item name="password" label={t('users.password')} rules={[{ required: true, min: 8 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Space>
            <Button onClick={() => setOpen(false)}>{t('common.cancel')}</Button>
            <Button type="primary" htmlType="submit">
              {t('common.create')}
            </Button>
          </Space>
        </Form>
      </Modal>
    </Card>
  );
}

function AgentsTab() {
  const { t } = useTranslation();
  const run = useRun();
  const agents = useQuery({ queryKey: ['agents'], queryFn: () => call(org.listAgents, { query: {} }) });
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => call(org.listTeams) });
  const skills = useQuery({ queryKey: ['skills'], queryFn: () => call(org.listSkillGroups) });
  return (
    <Card size="small">
      <Table
        size="small"
        rowKey="userId"
        loading={agents.isLoading}
        dataSource={agents.data ?? []}
        pagination={{ pageSize: 20, showSizeChanger: false }}
        columns={[
          { title: t('users.username'), dataIndex: 'username' },
          { title: t('users.displayName'), dataIndex: 'displayName' },
          {
            title: t('users.team'),
            render: (_, a) => (
              <Select
                size="small"
                allowClear
                aria-label={t('users.team')}
                value={a.teamId ?? undefined}
                style={{ width: 160 }}
                onChange={(teamId?: string) =>
                  void run(
                    () => call(org.updateAgent, { params: { userId: a.userId }, body: { teamId: teamId ?? null } }),
                    'agents',
                  )
                }
                options={(teams.data ?? []).map((x) => ({ value: x.id, label: x.name }))}
              />
            ),
          },
          {
            title: t('users.skillsOf'),
            render: (_, a) => (
              <Select
                size="small"
                mode="multiple"
                aria-label={t('users.skillsOf')}
                value={a.skills.map((s) => s.code)}
                style={{ minWidth: 200 }}
                onChange={(codes: string[]) =>
                  void run(
                    () =>
                      call(org.updateAgent, {
                        params: { userId: a.userId },
                        body: {
                          skills: codes.map((code) => ({
                            code,
                            level: a.skills.find((s) => s.code === code)?.level ?? 1,
                          })),
                        },
                      }),
                    'agents',
                  )
                }
                options={(skills.data ?? []).map((x) => ({ value: x.code, label: x.name }))}
              />
            ),
          },
        ]}
      />
    </Card>
  );
}

function NamedTab({ kind }: { kind: 'teams' | 'skills' }) {
  const { t } = useTranslation();
  const run = useRun();
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => call(org.listTeams), enabled: kind === 'teams' });
  const skills = useQuery({
    queryKey: ['skills'],
    queryFn: () => call(org.listSkillGroups),
    enabled: kind === 'skills',
  });
  const rows: { id: string; name: string; code?: string }[] =
    kind === 'teams' ? (teams.data ?? []) : (skills.data ?? []);
  const [form] = Form.useForm<{ name: string; code?: string }>();
  const create = async (v: { name: string; code?: string }) => {
    const ok =
      kind === 'teams'
        ? await run(() => call(org.createTeam, { body: { name: v.name } }), 'teams')
        : await run(() => call(org.createSkillGroup, { body: { name: v.name, code: v.code ?? '' } }), 'skills');
    if (ok) form.resetFields();
  };
  return (
    <Card size="small">
      <Form form={form} layout="inline" onFinish={(v) => void create(v)} style={{ marginBottom: 12 }}>
        {kind === 'skills' && (
          <Form.Item name="code" rules={[{ required: true }]}>
            <Input placeholder={t('common.code')} aria-label={t('common.code')} />
          </Form.Item>
        )}
        <Form.Item name="name" rules={[{ required: true }]}>
          <Input placeholder={t('common.name')} aria-label={t('common.name')} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('common.create')}
        </Button>
      </Form>
      <Table
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={rows}
        columns={[
          ...(kind === 'skills' ? [{ title: t('common.code'), dataIndex: 'code' }] : []),
          { title: t('common.name'), dataIndex: 'name' },
          { title: '', render: (_: unknown, r: { id: string }) => <Tag>{r.id.slice(0, 8)}</Tag> },
        ]}
      />
    </Card>
  );
}
