import { useEffect, useMemo, useRef, useState } from 'react';
import { App, Button, Card, Col, Empty, Row, Select, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { CAMPAIGN_COLOURS, STATE_COLOURS } from '../colours.ts';
import { calls, campaigns, org, type LiveStats } from '@outdial/contracts';
import { call } from '../api/client.ts';
import { LiveConnection } from '../api/live.ts';
import { useAuth } from '../auth.tsx';
import { errorText } from '../errors.ts';
import { duration, useNow } from '../util.ts';
import { SeriesChart } from './Chart.tsx';

type Campaign = campaigns.Campaign;
const MODES = ['preview', 'progressive', 'power', 'predictive'] as const;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** 实时监控: agents, calls in progress, campaigns with live figures, charts and controls. */
export default function Wallboard() {
  const { t } = useTranslation();
  const now = useNow();
  const list = useQuery({
    queryKey: ['campaigns'],
    queryFn: () => call(campaigns.listCampaigns, { query: { pageSize: 50 } }),
    refetchInterval: 5000,
  });
  const agents = useQuery({
    queryKey: ['dialer-agents'],
    queryFn: () => call(calls.listDialerAgents),
    refetchInterval: 3000,
  });
  const { can } = useAuth();
  const people = useQuery({
    queryKey: ['agents'],
    queryFn: () => call(org.listAgents, { query: {} }),
    enabled: can('campaigns:manage'),
    staleTime: 60_000,
  });
  const names = new Map((people.data ?? []).map((a) => [a.userId, a.displayName]));
  const live = useLiveStats((list.data?.items ?? []).map((c) => c.id));
  const items = list.data?.items ?? [];
  const active = items.filter((c) => c.status !== 'finished');
  const rows = (agents.data?.items ?? []).map((a) => ({ ...a, name: names.get(a.agentId) ?? a.agentId.slice(0, 8) }));
  const onCall = rows.filter((a) => a.callId && (a.status === 'talking' || a.status === 'wrap_up'));

  return (
    <div data-testid="wallboard" style={{ fontSize: 15 }}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 22, margin: 0 }}>
          {t('wallboard.title')}
        </Typography.Title>
        <Space>
          <Typography.Text type="secondary">
            {t('wallboard.updated', { time: new Date(now).toLocaleTimeString() })}
          </Typography.Text>
          <Button onClick={() => void document.documentElement.requestFullscreen?.()}>
            {t('wallboard.fullscreen')}
          </Button>
        </Space>
      </Space>
      <Typography.Title level={2} style={{ fontSize: 17 }}>
        {t('wallboard.campaigns')}
      </Typography.Title>
      {active.length === 0 && <Empty description={t('wallboard.noCampaign')} />}
      <Row gutter={[12, 12]}>
        {active.map((c) => (
          <Col key={c.id} xs={24} xxl={12}>
            <CampaignTile campaign={c} live={live[c.id]} />
          </Col>
        ))}
      </Row>
      <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
        <Col xs={24} xl={14}>
          <Card size="small" title={`${t('wallboard.agents')} (${rows.length})`} data-testid="agent-grid">
            <Space wrap style={{ marginBottom: 8 }} aria-label={t('wallboard.legend')}>
              <Typography.Text type="secondary">{t('wallboard.legend')}:</Typography.Text>
              {Object.keys(STATE_COLOURS).map((s) => (
                <Tag key={s} color={STATE_COLOURS[s]}>
                  {t(`agent.status.${s}`)}
                </Tag>
              ))}
            </Space>
            <Table
              size="small"
              rowKey="agentId"
              pagination={false}
              dataSource={rows}
              columns={[
                { title: t('wallboard.agent'), dataIndex: 'name' },
                {
                  title: t('wallboard.state'),
                  render: (_, a) => <Tag color={STATE_COLOURS[a.status]}>{t(`agent.status.${a.status}`)}</Tag>,
                },
                {
                  title: t('wallboard.reason'),
                  render: (_, a) =>
                    a.pauseReason ? t(`agent.pauseReasons.${a.pauseReason}`, { defaultValue: a.pauseReason }) : '',
                },
                {
                  title: t('wallboard.since'),
                  render: (_, a) => {
                    const ms = now - new Date(a.since).getTime();
                    const late = a.status === 'paused' && ms > 15 * 60_000;
                    return <Typography.Text type={late ? 'danger' : undefined}>{duration(ms)}</Typography.Text>;
                  },
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card size="small" title={`${t('wallboard.calls')} (${onCall.length})`} data-testid="calls-in-progress">
            <Table
              size="small"
              rowKey="agentId"
              pagination={false}
              locale={{ emptyText: t('wallboard.noCalls') }}
              dataSource={onCall}
              columns={[
                { title: t('wallboard.agent'), dataIndex: 'name' },
                {
                  title: t('wallboard.state'),
                  render: (_, a) => <Tag color={STATE_COLOURS[a.status]}>{t(`agent.status.${a.status}`)}</Tag>,
                },
                { title: t('wallboard.since'), render: (_, a) => duration(now - new Date(a.since).getTime()) },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </div>
  );
}

/** Follows every campaign over the live connection: `stats` pushed every 2 s. */
function useLiveStats(ids: string[]): Record<string, LiveStats> {
  const [stats, setStats] = useState<Record<string, LiveStats>>({});
  const conn = useRef<LiveConnection | null>(null);
  const key = ids.join(',');
  const wanted = useMemo(() => (key ? key.split(',') : []), [key]);
  const qc = useQueryClient();
  useEffect(() => {
    const c = new LiveConnection();
    conn.current = c;
    const subscribe = () => {
      for (const id of wanted) void c.request({ type: 'subscribe', campaignId: id }).catch(() => undefined);
    };
    const off = c.on((m) => {
      if (m.type === 'hello') setTimeout(subscribe, 0);
      if (m.type === 'stats') setStats((s) => ({ ...s, [m.campaignId]: m.stats }));
      if (m.type === 'event' && m.event.type === 'agent.state_changed')
        void qc.invalidateQueries({ queryKey: ['dialer-agents'] });
    });
    c.start();
    return () => {
      off();
      c.stop();
    };
  }, [wanted, qc]);
  return stats;
}

function CampaignTile({ campaign, live }: { campaign: Campaign; live: LiveStats | undefined }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const { can } = useAuth();
  const stats = useQuery({
    queryKey: ['campaign-stats', campaign.id],
    queryFn: () => call(campaigns.getCampaignStats, { params: { id: campaign.id } }),
    refetchInterval: 4000,
  });
  const s = stats.data;
  const today = s?.today;
  const connectRate = today && today.dials ? today.connects / today.dials : 0;
  const abandon = today?.abandonRate ?? 0;
  const limit = s?.abandonLimit ?? 0.03;
  const mode = live?.running ? live.mode : (s?.dialer?.mode ?? campaign.settings.dialMode);
  const reason = live?.running ? live.modeReason : s?.dialer?.modeReason;
  const refusals = live?.running ? live.refusals : (s?.dialer?.refusals ?? {});
  const refusalCount = Object.values(refusals).reduce((a, b) => a + b, 0);
  const manage = can('campaigns:manage');

  const act = async (action: 'start' | 'pause' | 'resume' | 'stop') => {
    try {
      await call(campaigns.actOnCampaign, { params: { id: campaign.id, action } });
      await qc.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const setMode = async (dialMode: (typeof MODES)[number]) => {
    try {
      await call(campaigns.updateCampaign, { params: { id: campaign.id }, body: { dialMode } });
      await qc.invalidateQueries({ queryKey: ['campaigns'] });
    } catch (err) {
      void message.error(errorText(t, err));
    }
  };
  const statusColour = CAMPAIGN_COLOURS[campaign.status];

  return (
    <Card
      size="small"
      data-testid="campaign-tile"
      title={
        <Space>
          <span>{campaign.name}</span>
          <Tag color={statusColour}>{t(`campaign.status.${campaign.status}`)}</Tag>
          {campaign.statusReason && <Typography.Text type="secondary">{campaign.statusReason}</Typography.Text>}
        </Space>
      }
      extra={
        manage && (
          <Space>
            {campaign.actions
              .filter((a): a is 'start' | 'pause' | 'resume' | 'stop' => a !== 'schedule')
              .map((a) => (
                <Button
                  key={a}
                  size="small"
                  type={a === 'start' || a === 'resume' ? 'primary' : 'default'}
                  danger={a === 'stop'}
                  onClick={() => void act(a)}
                  data-testid={`campaign-${a}`}
                >
                  {t(`campaign.actions.${a}`)}
                </Button>
              ))}
            <Select
              size="small"
              aria-label={t('wallboard.changeMode')}
              value={campaign.settings.dialMode}
              style={{ width: 120 }}
              onChange={(v) => void setMode(v as (typeof MODES)[number])}
              options={[...MODES, 'ivr' as const].map((m) => ({ value: m, label: t(`campaign.modes.${m}`) }))}
            />
          </Space>
        )
      }
    >
      <Row gutter={12}>
        <Col span={4}>
          <Statistic title={t('wallboard.dials')} value={today?.dials ?? 0} data-testid="stat-dials" />
        </Col>
        <Col span={4}>
          <Statistic title={t('wallboard.connects')} value={today?.connects ?? 0} data-testid="stat-connects" />
        </Col>
        <Col span={4}>
          <Statistic title={t('wallboard.connectRate')} value={pct(connectRate)} />
        </Col>
        <Col span={4}>
          <Tooltip title={t('wallboard.abandonBasis')}>
            <Statistic
              title={t('wallboard.abandonRate')}
              value={pct(abandon)}
              styles={{
                content: { color: abandon > limit ? '#a8071a' : abandon > limit * 0.8 ? '#ad4e00' : '#237804' },
              }}
              suffix={
                <span style={{ fontSize: 12, color: 'rgba(0, 0, 0, 0.68)' }}>
                  {t('wallboard.abandonLimit', { limit: pct(limit) })}
                </span>
              }
            />
          </Tooltip>
        </Col>
        <Col span={4}>
          <Statistic
            title={t('wallboard.liveCalls')}
            value={live?.running ? live.liveCalls : (s?.dialer?.liveCalls ?? 0)}
          />
        </Col>
        <Col span={4}>
          <Statistic title={t('wallboard.refusals')} value={refusalCount} />
        </Col>
      </Row>
      <Space wrap style={{ marginTop: 8 }}>
        <Typography.Text>
          {t('wallboard.mode')}: <Tag color="#1d39c4">{t(`campaign.modes.${mode}`)}</Tag>
        </Typography.Text>
        {reason && (
          <Typography.Text type="secondary">
            {t('wallboard.modeReason')}: {reason}
          </Typography.Text>
        )}
        {Object.entries(refusals).map(([k, v]) => (
          <Tag key={k}>
            {k}: {v}
          </Tag>
        ))}
      </Space>
      <Typography.Title level={3} style={{ fontSize: 14, marginTop: 8 }}>
        {t('wallboard.chart')}
      </Typography.Title>
      <SeriesChart campaignId={campaign.id} />
    </Card>
  );
}
