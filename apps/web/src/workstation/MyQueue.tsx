import { App, Button, Card, List, Tabs, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { contacts, tasks } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { errorText } from '../errors.ts';
import { dateTime } from '../util.ts';
import type { useDesk } from './useDesk.ts';

/** 我的任务 and 预约回呼: the agent's own contacts, dialed with a click (through the compliance gate). */
export function MyQueue({ request, canDial }: { request: ReturnType<typeof useDesk>['request']; canDial: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queue = useQuery({
    queryKey: ['my-queue'],
    queryFn: () => call(tasks.myQueue, { query: { limit: 30 } }),
    refetchInterval: 30_000,
  });
  const callbacks = useQuery({
    queryKey: ['my-callbacks'],
    queryFn: () => call(contacts.listCallbacks, { query: { mine: true, pageSize: 30 } }),
    refetchInterval: 30_000,
  });
  const dial = async (contactId: string) => {
    try {
      await request({ type: 'dial', contactId });
      void message.info(t('tasks.dialStarted'));
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const now = Date.now();
  return (
    <Card size="small" data-testid="my-queue">
      <Tabs
        size="small"
        items={[
          {
            key: 'tasks',
            label: t('tasks.mine'),
            children: (
              <List
                size="small"
                loading={queue.isLoading}
                locale={{ emptyText: t('tasks.empty') }}
                dataSource={(queue.data?.items ?? []).filter((i) => i.kind === 'task').slice(0, 15)}
                renderItem={(i) => (
                  <List.Item
                    actions={[
                      <Button key="dial" size="small" disabled={!canDial} onClick={() => void dial(i.contact.id)}>
                        {t('tasks.dial')}
                      </Button>,
                    ]}
                  >
                    <List.Item.Meta title={i.contact.name ?? '—'} description={i.contact.phone} />
                  </List.Item>
                )}
              />
            ),
          },
          {
            key: 'callbacks',
            label: t('tasks.callbacks'),
            children: (
              <List
                size="small"
                loading={callbacks.isLoading}
                locale={{ emptyText: t('tasks.empty') }}
                dataSource={callbacks.data?.items ?? []}
                renderItem={(c) => (
                  <List.Item
                    actions={[
                      <Button key="dial" size="small" disabled={!canDial} onClick={() => void dial(c.contact.id)}>
                        {t('tasks.dial')}
                      </Button>,
                    ]}
                  >
                    <List.Item.Meta
                      title={c.contact.name ?? '—'}
                      description={
                        <Typography.Text type={new Date(c.callbackAt).getTime() <= now ? 'danger' : 'secondary'}>
                          {dateTime(c.callbackAt)}{' '}
                          {new Date(c.callbackAt).getTime() <= now && <Tag color="#a8071a">{t('tasks.due')}</Tag>}
                        </Typography.Text>
                      }
                    />
                  </List.Item>
                )}
              />
            ),
          },
        ]}
      />
    </Card>
  );
}
