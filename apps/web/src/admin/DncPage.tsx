import { useState } from 'react';
import { App, Button, Card, Col, Form, Input, Modal, Row, Space, Table, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { dnc } from '@outdial/contracts';
import type { Static } from 'typebox';
import { call } from '../api/client.ts';
import { useAuth } from '../auth.tsx';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';
import { PageHeader } from './common.tsx';

/** 免打扰名单: lists, their numbers (masked by role), adding numbers, checking one. */
export function DncPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { can } = useAuth();
  const qc = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [check, setCheck] = useState<Static<typeof dnc.DncCheck> | null>(null);
  const lists = useQuery({ queryKey: ['dnc-lists'], queryFn: () => call(dnc.listDncLists) });
  const listId = selected ?? lists.data?.[0]?.id ?? null;
  const entries = useQuery({
    queryKey: ['dnc-entries', listId],
    enabled: !!listId,
    queryFn: () => call(dnc.listDncEntries, { params: { id: listId! }, query: { pageSize: 50 } }),
  });
  const add = async (v: { numbers: string; reason?: string }) => {
    try {
      const phones = v.numbers.split(/[\s,;]+/).filter(Boolean);
      const r = await call(dnc.addDncEntries, { body: { phones, ...(v.reason ? { reason: v.reason } : {}) } });
      void message.success(t('dnc.added', { n: r.added }));
      setOpen(false);
      await qc.invalidateQueries({ queryKey: ['dnc-entries'] });
      await qc.invalidateQueries({ queryKey: ['dnc-lists'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const runCheck = async (phone: string) => {
    if (!phone) return;
    try {
      setCheck(await call(dnc.checkDnc, { query: { phone } }));
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  return (
    <>
      <PageHeader
        title={t('nav.dnc')}
        extra={
          can('dnc:manage') && (
            <Button type="primary" onClick={() => setOpen(true)}>
              {t('dnc.add')}
            </Button>
          )
        }
      />
      <Row gutter={12}>
        <Col xs={24} lg={8}>
          <Card size="small" title={t('dnc.lists')} style={{ marginBottom: 12 }}>
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={lists.data ?? []}
              rowClassName={(r) => (r.id === listId ? 'ant-table-row-selected' : '')}
              onRow={(r) => ({ onClick: () => setSelected(r.id), style: { cursor: 'pointer' } })}
              columns={[
                { title: t('common.name'), dataIndex: 'name' },
                { title: t('dnc.entries'), dataIndex: 'entries' },
              ]}
            />
          </Card>
          <Card size="small" title={t('dnc.check')}>
            <Input.Search
              aria-label={t('dnc.check')}
              placeholder="138…"
              onSearch={(v) => void runCheck(v)}
              enterButton={t('common.search')}
            />
            {check && (
              <Typography.Paragraph style={{ marginTop: 8 }}>
                {check.blocked ? (
                  check.hits.map((h, i) => (
                    <Tag color="#a8071a" key={i}>
                      {t('dnc.listed', { list: h.listName })}
                    </Tag>
                  ))
                ) : (
                  <Tag color="#237804">{t('dnc.notListed')}</Tag>
                )}
              </Typography.Paragraph>
            )}
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card size="small" title={t('dnc.entries')}>
            <Table
              size="small"
              rowKey={(r) => r.phone + r.createdAt.toString()}
              loading={entries.isLoading}
              dataSource={entries.data?.items ?? []}
              pagination={false}
              columns={[
                { title: t('common.phone'), dataIndex: 'phone' },
                { title: t('common.reason'), dataIndex: 'reason' },
                { title: t('dnc.source'), dataIndex: 'source' },
                { title: t('dnc.expires'), render: (_, r) => dateTime(r.expiresAt) },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <Modal open={open} title={t('dnc.add')} onCancel={() => setOpen(false)} footer={null} destroyOnHidden>
        <Form layout="vertical" onFinish={(v: { numbers: string; reason?: string }) => void add(v)}>
          <Form.Item name="numbers" label={t('dnc.numbers')} rules={[{ required: true }]}>
            <Input.TextArea rows={6} />
          </Form.Item>
          <Form.Item name="reason" label={t('common.reason')}>
            <Input />
          </Form.Item>
          <Space>
            <Button onClick={() => setOpen(false)}>{t('common.cancel')}</Button>
            <Button type="primary" htmlType="submit">
              {t('common.save')}
            </Button>
          </Space>
        </Form>
      </Modal>
    </>
  );
}
