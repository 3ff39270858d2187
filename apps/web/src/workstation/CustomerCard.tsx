import { Card, Descriptions, Empty, List, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { contacts } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { dateTime, useLocal } from '../util.ts';
import { useProjectOf } from './project.ts';
import type { Contact } from './useDesk.ts';

/** 来电弹屏: the customer's profile (number masked unless the role may see it), tags, custom fields, history. */
export function CustomerCard({ contact, attemptId }: { contact: Contact; attemptId?: string }) {
  const { t } = useTranslation();
  const history = useQuery({
    queryKey: ['contact-history', contact.id],
    queryFn: () => call(contacts.getContactHistory, { params: { id: contact.id } }),
  });
  const { label } = useLocal();
  const project = useProjectOf(contact.projectId);
  const fieldLabel = (key: string) => {
    const f = project.data?.fields?.find((x) => x.key === key);
    return f ? label(f) : key;
  };
  const dispositionOf = new Map((history.data?.dispositions ?? []).map((d) => [d.attemptId, d]));
  return (
    <Card size="small" title={t('customer.profile')} style={{ marginBottom: 12 }} data-testid="customer-card">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('customer.name')}>{contact.name ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('customer.phone')}>
          <span data-testid="customer-phone">{contact.phone}</span>{' '}
          {contact.masked && <Tag>{t('customer.masked')}</Tag>}
        </Descriptions.Item>
        <Descriptions.Item label={t('customer.tags')}>
          {contact.tags.length ? contact.tags.map((x) => <Tag key={x}>{x}</Tag>) : '—'}
        </Descriptions.Item>
        <Descriptions.Item label={t('customer.region')}>{contact.region ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('customer.attempts')}>{contact.attempts}</Descriptions.Item>
        {Object.entries(contact.custom).map(([k, v]) => (
          <Descriptions.Item key={k} label={fieldLabel(k)}>
            {typeof v === 'boolean'
              ? t(v ? 'common.yes' : 'common.no')
              : typeof v === 'object'
                ? JSON.stringify(v)
                : String(v as string | number)}
          </Descriptions.Item>
        ))}
      </Descriptions>
      <Typography.Title level={2} style={{ fontSize: 14, marginTop: 12 }}>
        {t('customer.history')}
      </Typography.Title>
      {history.data && history.data.attempts.filter((a) => a.id !== attemptId).length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('customer.noHistory')} />
      ) : (
        <List
          size="small"
          loading={history.isLoading}
          dataSource={(history.data?.attempts ?? []).filter((a) => a.id !== attemptId)}
          renderItem={(a) => {
            const d = dispositionOf.get(a.id);
            return (
              <List.Item>
                <List.Item.Meta
                  title={
                    <span>
                      {dateTime(a.placedAt)}{' '}
                      <Tag>{a.outcome ? t(`call.outcomes.${a.outcome}`, { defaultValue: a.outcome }) : '…'}</Tag>
                      {d && <Tag color="#003eb3">{d.code}</Tag>}
                    </span>
                  }
                  description={d?.notes || null}
                />
              </List.Item>
            );
          }}
        />
      )}
    </Card>
  );
}
