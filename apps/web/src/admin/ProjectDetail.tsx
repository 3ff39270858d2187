import { useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  App,
  Button,
  Card,
  Checkbox,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  TimePicker,
} from 'antd';
import dayjs from 'dayjs';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { contacts, imports, projects } from '@outdial/contracts';
import type { Static } from 'typebox';
import { call } from '../api/client.ts';
import { useAuth } from '../auth.tsx';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';
import { PageHeader } from './common.tsx';
import { ImportOutcome } from './ImportWizard.tsx';
import { QuestionnaireDesigner } from './QuestionnaireDesigner.tsx';
import { TasksTab } from './TasksTab.tsx';
import { KnowledgeTab } from './KnowledgeTab.tsx';

type Project = projects.Project;
const DAYS = ['1', '2', '3', '4', '5', '6', '7'] as const;

export function ProjectDetail() {
  const { code = '' } = useParams();
  const { t } = useTranslation();
  const project = useQuery({
    queryKey: ['project', code],
    queryFn: () => call(projects.getProject, { params: { code } }),
  });
  const p = project.data;
  return (
    <>
      <PageHeader
        title={p ? `${p.name} (${p.code})` : code}
        extra={
          <>
            <Link to="/admin/projects">{t('common.back')}</Link>
            <Link to={`/admin/projects/${encodeURIComponent(code)}/import`}>
              <Button type="primary" data-testid="start-import">
                {t('import.start')}
              </Button>
            </Link>
          </>
        }
      />
      {p && (
        <Tabs
          type="card"
          items={[
            { key: 'settings', label: t('project.settings'), children: <SettingsTab project={p} /> },
            { key: 'fields', label: t('project.fields'), children: <FieldsTab project={p} /> },
            { key: 'dispositions', label: t('project.dispositions'), children: <DispositionsTab project={p} /> },
            { key: 'imports', label: t('project.lists'), children: <ImportsTab code={code} /> },
            { key: 'contacts', label: t('project.contacts'), children: <ContactsTab code={code} /> },
            { key: 'tasks', label: t('project.tasks'), children: <TasksTab code={code} /> },
            {
              key: 'questionnaire',
              label: t('project.questionnaire'),
              children: <QuestionnaireDesigner project={p} />,
            },
            { key: 'knowledge', label: t('project.knowledge'), children: <KnowledgeTab code={code} /> },
          ]}
        />
      )}
    </>
  );
}

function useSave(code: string) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  return async (body: Static<typeof projects.UpdateProjectBody>) => {
    try {
      await call(projects.updateProject, { params: { code }, body });
      void message.success(t('common.saved'));
      await qc.invalidateQueries({ queryKey: ['project', code] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
}

interface SettingsValues {
  name: string;
  defaultRegion: string;
  defaultTimezone: string;
  maxAttempts: number;
  windowDays: number;
  closeOnSuccess: boolean;
  callerIds: string[];
  holidays: string[];
  windows: Record<string, { on: boolean; range: [dayjs.Dayjs, dayjs.Dayjs] }>;
}

function SettingsTab({ project }: { project: Project }) {
  const { t } = useTranslation();
  const save = useSave(project.code);
  const weekday = (d: string) =>
    dayjs()
      .day(Number(d) % 7)
      .format('ddd');
  const initial: SettingsValues = {
    name: project.name,
    defaultRegion: project.defaultRegion,
    defaultTimezone: project.defaultTimezone,
    maxAttempts: project.rules.closing.maxAttempts,
    windowDays: project.rules.closing.windowDays,
    closeOnSuccess: project.rules.closing.closeOnSuccess,
    callerIds: project.callerIds,
    holidays: project.rules.holidays,
    windows: Object.fromEntries(
      DAYS.map((d) => {
        const r = project.rules.callingWindows[d]?.[0];
        return [
          d,
          {
            on: !!r,
            range: [
              dayjs(`2000-01-01T${r?.start ?? '09:00'}`),
              dayjs(`2000-01-01T${r?.end === '24:00' ? '23:59' : (r?.end ?? '20:00')}`),
            ],
          },
        ];
      }),
    ),
  };
  const submit = (v: SettingsValues) =>
    save({
      name: v.name,
      defaultRegion: v.defaultRegion,
      defaultTimezone: v.defaultTimezone,
      callerIds: v.callerIds,
      rules: {
        ...project.rules,
        closing: { maxAttempts: v.maxAttempts, windowDays: v.windowDays, closeOnSuccess: v.closeOnSuccess },
        holidays: v.holidays,
        callingWindows: Object.fromEntries(
          DAYS.filter((d) => v.windows[d]?.on).map((d) => [
            d,
            [{ start: v.windows[d]!.range[0].format('HH:mm'), end: v.windows[d]!.range[1].format('HH:mm') }],
          ]),
        ),
      },
    });
  return (
    <Card size="small">
      <Form<SettingsValues>
        layout="vertical"
        initialValues={initial}
        onFinish={(v) => void submit(v)}
        style={{ maxWidth: 720 }}
      >
        <Form.Item name="name" label={t('project.name')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Space wrap>
          <Form.Item name="defaultRegion" label={t('project.region')}>
            <Input style={{ width: 100 }} />
          </Form.Item>
          <Form.Item name="defaultTimezone" label={t('project.timezone')}>
            <Input style={{ width: 200 }} />
          </Form.Item>
        </Space>
        <fieldset style={{ border: '1px solid #f0f0f0', padding: 12, marginBottom: 16 }}>
          <legend style={{ fontSize: 14, width: 'auto', padding: '0 6px' }}>{t('project.closing')}</legend>
          <Space wrap>
            <Form.Item name="maxAttempts" label={t('project.maxAttempts')}>
              <InputNumber min={1} max={1000} />
            </Form.Item>
            <Form.Item name="windowDays" label={t('project.windowDays')}>
              <InputNumber min={1} max={3650} />
            </Form.Item>
            <Form.Item name="closeOnSuccess" label={t('project.closeOnSuccess')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Space>
        </fieldset>
        <fieldset style={{ border: '1px solid #f0f0f0', padding: 12, marginBottom: 16 }}>
          <legend style={{ fontSize: 14, width: 'auto', padding: '0 6px' }}>{t('project.windows')}</legend>
          {DAYS.map((d) => (
            <Space key={d} style={{ display: 'flex', marginBottom: 4 }}>
              <Form.Item name={['windows', d, 'on']} valuePropName="checked" noStyle>
                <Checkbox style={{ width: 80 }}>{weekday(d)}</Checkbox>
              </Form.Item>
              <Form.Item name={['windows', d, 'range']} noStyle>
                <TimePicker.RangePicker format="HH:mm" aria-label={weekday(d)} />
              </Form.Item>
            </Space>
          ))}
        </fieldset>
        <Form.Item name="holidays" label={t('project.holidays')}>
          <Select mode="tags" tokenSeparators={[',', ' ']} placeholder="2026-10-01" />
        </Form.Item>
        <Form.Item name="callerIds" label={t('project.callerIds')}>
          <Select mode="tags" tokenSeparators={[',', ' ']} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('common.save')}
        </Button>
      </Form>
    </Card>
  );
}

function FieldsTab({ project }: { project: Project }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const submit = async (v: { fields: projects.FieldDef[] }) => {
    try {
      await call(projects.replaceFields, {
        params: { code: project.code },
        body: v.fields.map((f) => ({ ...f, required: !!f.required })),
      });
      void message.success(t('common.saved'));
      await qc.invalidateQueries({ queryKey: ['project', project.code] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  return (
    <Card size="small">
      <Form<{ fields: projects.FieldDef[] }>
        layout="inline"
        initialValues={{ fields: project.fields ?? [] }}
        onFinish={(v) => void submit(v)}
      >
        <Form.List name="fields">
          {(rows, { add, remove }) => (
            <Space orientation="vertical" style={{ width: '100%' }}>
              {rows.map((r) => (
                <Space key={r.key} wrap>
                  <Form.Item name={[r.name, 'key']} rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{0,39}$/ }]}>
                    <Input
                      placeholder={t('project.fieldKey')}
                      aria-label={t('project.fieldKey')}
                      style={{ width: 130 }}
                    />
                  </Form.Item>
                  <Form.Item name={[r.name, 'labelZh']} rules={[{ required: true }]}>
                    <Input
                      placeholder={t('project.labelZh')}
                      aria-label={t('project.labelZh')}
                      style={{ width: 130 }}
                    />
                  </Form.Item>
                  <Form.Item name={[r.name, 'labelEn']} rules={[{ required: true }]}>
                    <Input
                      placeholder={t('project.labelEn')}
                      aria-label={t('project.labelEn')}
                      style={{ width: 130 }}
                    />
                  </Form.Item>
                  <Form.Item name={[r.name, 'type']} initialValue="text">
                    <Select
                      aria-label={t('project.fieldType')}
                      style={{ width: 100 }}
                      options={['text', 'number', 'date', 'enum', 'boolean'].map((x) => ({ value: x, label: x }))}
                    />
                  </Form.Item>
                  <Form.Item name={[r.name, 'required']} valuePropName="checked">
                    <Checkbox>{t('project.required')}</Checkbox>
                  </Form.Item>
                  <Button onClick={() => remove(r.name)}>{t('common.remove')}</Button>
                </Space>
              ))}
              <Space>
                <Button type="dashed" onClick={() => add()}>
                  {t('common.add')}
                </Button>
                <Button type="primary" htmlType="submit">
                  {t('common.save')}
                </Button>
              </Space>
            </Space>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}

function DispositionsTab({ project }: { project: Project }) {
  const { t } = useTranslation();
  const save = useSave(project.code);
  return (
    <Card size="small">
      <Form
        layout="inline"
        initialValues={{ dispositions: project.dispositions ?? [] }}
        onFinish={(v: { dispositions: projects.DispositionCode[] }) =>
          void save({
            dispositions: v.dispositions.map((d) => ({
              ...d,
              success: !!d.success,
              closes: !!d.closes,
              addsToDnc: !!d.addsToDnc,
              callback: d.callback ?? null,
            })),
          })
        }
      >
        <Form.List name="dispositions">
          {(rows, { add, remove }) => (
            <Space orientation="vertical" style={{ width: '100%' }}>
              {rows.map((r) => (
                <Space key={r.key} wrap>
                  <Form.Item name={[r.name, 'code']} rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{0,39}$/ }]}>
                    <Input placeholder={t('common.code')} aria-label={t('common.code')} style={{ width: 120 }} />
                  </Form.Item>
                  <Form.Item name={[r.name, 'labelZh']} rules={[{ required: true }]}>
                    <Input
                      placeholder={t('project.labelZh')}
                      aria-label={t('project.labelZh')}
                      style={{ width: 110 }}
                    />
                  </Form.Item>
                  <Form.Item name={[r.name, 'labelEn']} rules={[{ required: true }]}>
                    <Input
                      placeholder={t('project.labelEn')}
                      aria-label={t('project.labelEn')}
                      style={{ width: 130 }}
                    />
                  </Form.Item>
                  <Form.Item name={[r.name, 'success']} valuePropName="checked">
                    <Checkbox>{t('project.success')}</Checkbox>
                  </Form.Item>
                  <Form.Item name={[r.name, 'closes']} valuePropName="checked">
                    <Checkbox>{t('project.closes')}</Checkbox>
                  </Form.Item>
                  <Form.Item name={[r.name, 'addsToDnc']} valuePropName="checked">
                    <Checkbox>{t('project.dnc')}</Checkbox>
                  </Form.Item>
                  <Form.Item name={[r.name, 'callback']}>
                    <Select
                      allowClear
                      aria-label={t('project.callback')}
                      placeholder={t('project.callback')}
                      style={{ width: 120 }}
                      options={[
                        { value: 'agent', label: `${t('project.callback')}: ${t('roles.agent')}` },
                        { value: 'anyone', label: `${t('project.callback')}: ${t('common.all')}` },
                      ]}
                    />
                  </Form.Item>
                  <Button onClick={() => remove(r.name)}>{t('common.remove')}</Button>
                </Space>
              ))}
              <Space>
                <Button type="dashed" onClick={() => add({ success: false, closes: false, addsToDnc: false })}>
                  {t('common.add')}
                </Button>
                <Button type="primary" htmlType="submit">
                  {t('common.save')}
                </Button>
              </Space>
            </Space>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}

function ImportsTab({ code }: { code: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [open, setOpen] = useState<imports.Import | null>(null);
  const list = useQuery({
    queryKey: ['imports', code],
    queryFn: () => call(imports.listImports, { params: { code }, query: { pageSize: 50 } }),
  });
  return (
    <Card size="small" title={t('import.history')}>
      <Table
        size="small"
        rowKey="id"
        loading={list.isLoading}
        dataSource={list.data?.items ?? []}
        pagination={false}
        onRow={(r) => ({ onClick: () => setOpen(r), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('import.file'), dataIndex: 'filename' },
          { title: t('common.status'), dataIndex: 'status', render: (s: string) => <Tag>{s}</Tag> },
          { title: t('import.imported'), dataIndex: 'imported' },
          { title: t('import.invalid'), render: (_, r) => r.invalid + r.duplicateInFile + r.duplicateExisting + r.dnc },
          { title: t('common.created'), render: (_, r) => dateTime(r.createdAt) },
        ]}
      />
      {open && (
        <div style={{ marginTop: 16 }}>
          <ImportOutcome imp={open} onError={(e) => void message.error(e)} />
        </div>
      )}
    </Card>
  );
}

function ContactsTab({ code }: { code: string }) {
  const { t } = useTranslation();
  const { me } = useAuth();
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const list = useQuery({
    queryKey: ['contacts', code, q, page],
    queryFn: () =>
      call(contacts.listContacts, { params: { code }, query: { page, pageSize: 20, ...(q ? { q } : {}) } }),
  });
  return (
    <Card
      size="small"
      title={
        <Input.Search
          aria-label={t('contacts.search')}
          placeholder={t('contacts.search')}
          allowClear
          style={{ width: 280 }}
          onSearch={(v) => {
            setQ(v);
            setPage(1);
          }}
        />
      }
      extra={!me?.canSeeNumbers && <Tag>{t('contacts.masked')}</Tag>}
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
          { title: t('customer.name'), dataIndex: 'name' },
          { title: t('customer.phone'), dataIndex: 'phone' },
          { title: t('customer.tags'), render: (_, c) => c.tags.map((x) => <Tag key={x}>{x}</Tag>) },
          {
            title: t('customer.status'),
            render: (_, c) => t(`contacts.status.${c.status}`, { defaultValue: c.status }),
          },
          { title: t('customer.attempts'), dataIndex: 'attempts' },
        ]}
      />
    </Card>
  );
}
