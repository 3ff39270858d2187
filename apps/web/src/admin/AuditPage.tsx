import { useState } from 'react';
import { Card, Input, Table, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { audit } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { dateTime } from '../util.ts';
import { PageHeader } from './common.tsx';

export function AuditPage() {
  const { t } = useTranslation();
  const [page, setPage] = useState(1);
  const [action, setAction] = useState('');
  const q = useQuery({
    queryKey: ['audit', page, action],
    queryFn: () => call(audit.listAudit, { query: { page, pageSize: 20, ...(action ? { action } : {}) } }),
  });
  return (
    <>
      <PageHeader
        title={t('nav.audit')}
        extra={
          <Input.Search
            aria-label={t('audit.action')}
            placeholder={t('audit.action')}
            allowClear
            onSearch={(v) => {
              setAction(v);
              setPage(1);
            }}
          />
        }
      />
      <Card size="small">
        <Table
          size="small"
          rowKey="id"
          loading={q.isLoading}
          dataSource={q.data?.items ?? []}
          pagination={{
            current: page,
            pageSize: 20,
            total: q.data?.total ?? 0,
            onChange: setPage,
            showSizeChanger: false,
          }}
          columns={[
            { title: t('audit.at'), render: (_, r) => dateTime(r.createdAt), width: 150 },
            { title: t('audit.actor'), render: (_, r) => r.actorUsername ?? '—', width: 120 },
            { title: t('audit.action'), dataIndex: 'action', width: 200 },
            {
              title: t('audit.target'),
              render: (_, r) => [r.subjectType, r.subjectId?.slice(0, 8)].filter(Boolean).join(' '),
            },
            {
              title: t('audit.details'),
              render: (_, r) => (
                <Typography.Text code style={{ fontSize: 12 }} ellipsis>
                  {JSON.stringify(r.details)}
                </Typography.Text>
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
