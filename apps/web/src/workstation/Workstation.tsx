import { useEffect, useState } from 'react';
import { Alert, App, Badge, Button, Card, Col, Dropdown, Row, Space, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { STATE_COLOURS } from '../colours.ts';
import { errorText } from '../errors.ts';
import { duration, useNow } from '../util.ts';
import { CallControls } from './CallControls.tsx';
import { CustomerCard } from './CustomerCard.tsx';
import { DispositionForm } from './DispositionForm.tsx';
import { MyQueue } from './MyQueue.tsx';
import { PhonePanel } from './PhonePanel.tsx';
import { PreviewCard } from './PreviewCard.tsx';
import { ScriptRunner } from './ScriptRunner.tsx';
import { useDesk } from './useDesk.ts';
import { useShortcuts } from './shortcuts.ts';

const PAUSE_REASONS = ['break', 'lunch', 'training', 'meeting', 'other'] as const;

/** 坐席工作台: the agent's full-day screen. */
export default function Workstation() {
  const { t } = useTranslation();
  const { message, notification } = App.useApp();
  const desk = useDesk();
  const now = useNow();
  const { state, current, preview, link } = desk;
  const [busy, setBusy] = useState(false);

  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await fn();
    } catch (err) {
      void message.error(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const n = desk.notice;
    if (!n) return;
    if (n.kind === 'reconnected')
      notification.info({
        title: t('link.restoredTitle'),
        description: `${t('link.restored')}${n.paused ? ` ${t('link.lostState')}` : ''}`,
        duration: 8,
      });
    else notification.warning({ title: t(n.kind === 'replaced' ? 'link.replaced' : 'link.ended'), duration: 0 });
    desk.clearNotice();
  }, [desk, desk.notice, notification, t]);

  const status = state?.status ?? 'logged_out';
  const signedIn = status !== 'logged_out';
  const ready = () => run(() => desk.request({ type: 'ready' }));
  const pause = (reason: string) => run(() => desk.request({ type: 'pause', reason }));
  const hangup = () => run(() => desk.request({ type: 'hangup' }));
  useShortcuts({
    r: () => signedIn && !current && void ready(),
    p: () => signedIn && void pause('break'),
    h: () => current && !current.endedOutcome && !current.transferredTo && void hangup(),
  });

  const linkBadge = (
    <Badge
      data-testid="link-status"
      status={link === 'open' ? 'success' : link === 'reconnecting' ? 'error' : 'processing'}
      text={t(`link.${link}`)}
    />
  );
  const reason = state?.pauseReason;

  return (
    <div data-testid="workstation">
      {link === 'reconnecting' && (
        <Alert type="error" showIcon banner title={t('link.reconnecting')} style={{ marginBottom: 12 }} role="alert" />
      )}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space wrap size="middle" style={{ width: '100%', justifyContent: 'space-between' }}>
          <Space wrap size="middle">
            <Typography.Title level={1} style={{ fontSize: 18, margin: 0 }}>
              {t('nav.workstation')}
            </Typography.Title>
            <Tag color={STATE_COLOURS[status]} data-testid="agent-state" style={{ fontSize: 14, padding: '2px 10px' }}>
              {status === 'paused' && reason
                ? t('agent.pauseWith', { reason: t(`agent.pauseReasons.${reason}`, { defaultValue: reason }) })
                : t(`agent.status.${status}`)}
            </Tag>
            {state && signedIn && (
              <Typography.Text type="secondary">
                {t('agent.inState', { time: duration(now - state.since) })}
              </Typography.Text>
            )}
            {linkBadge}
          </Space>
          <Space wrap>
            {!signedIn ? (
              <Button type="primary" loading={busy} onClick={() => void run(desk.signIn)} data-testid="sign-in">
                {t('agent.signIn')}
              </Button>
            ) : (
              <>
                <Button
                  type="primary"
                  onClick={() => void ready()}
                  disabled={status === 'ready' || status === 'talking' || status === 'reserved'}
                  data-testid="ready"
                >
                  {t('agent.ready')}
                </Button>
                <Dropdown
                  menu={{
                    items: PAUSE_REASONS.map((r) => ({ key: r, label: t(`agent.pauseReasons.${r}`) })),
                    onClick: (e) => void pause(e.key),
                  }}
                >
                  <Button data-testid="pause">{t('agent.pause')}</Button>
                </Dropdown>
                <Button onClick={() => void run(desk.signOut)} disabled={!!current}>
                  {t('agent.signOut')}
                </Button>
              </>
            )}
            <Tooltip title={t('agent.shortcutHelp')}>
              <Button type="text">{t('agent.shortcuts')}</Button>
            </Tooltip>
          </Space>
        </Space>
      </Card>

      <Row gutter={[12, 12]}>
        <Col xs={24} lg={8}>
          {preview && <PreviewCard preview={preview} request={desk.request} />}
          <Card size="small" title={t('call.panel')} style={{ marginBottom: 12 }} data-testid="call-panel">
            {current ? (
              <Space orientation="vertical" style={{ width: '100%' }}>
                <Space wrap>
                  <Tag
                    color={
                      current.endedOutcome || current.transferredTo ? STATE_COLOURS.wrap_up : STATE_COLOURS.talking
                    }
                  >
                    {current.endedOutcome || current.transferredTo
                      ? t('agent.status.wrap_up')
                      : t('agent.status.talking')}
                  </Tag>
                  <Typography.Text strong style={{ fontSize: 20 }} aria-label={t('call.timer')}>
                    {duration(now - current.startedAt)}
                  </Typography.Text>
                </Space>
                {current.transferredTo && (
                  <Alert
                    type="info"
                    showIcon
                    data-testid="transferred"
                    title={t('call.transferred', { name: current.transferredTo.displayName })}
                  />
                )}
                {current.endedOutcome && (
                  <Alert
                    type="warning"
                    showIcon
                    title={t('call.ended', {
                      outcome: t(`call.outcomes.${current.endedOutcome}`, { defaultValue: current.endedOutcome }),
                    })}
                  />
                )}
                <Space wrap>
                  <Button
                    danger
                    type="primary"
                    disabled={!!current.endedOutcome || !!current.transferredTo}
                    onClick={() => void hangup()}
                    data-testid="hangup"
                  >
                    {t('call.hangup')}
                  </Button>
                  <CallControls call={current} controls={desk.controls} request={desk.request} now={now} />
                </Space>
              </Space>
            ) : (
              <Typography.Text type="secondary">{t('call.noCall')}</Typography.Text>
            )}
          </Card>
          <PhonePanel attemptId={current?.attemptId ?? null} />
          {(current?.contact ?? preview?.contact) && (
            <CustomerCard contact={(current?.contact ?? preview?.contact)!} attemptId={current?.attemptId} />
          )}
        </Col>
        <Col xs={24} lg={10}>
          {current && (
            <>
              <ScriptRunner script={current.script} save={desk.saveAnswers} />
              <DispositionForm
                key={current.attemptId}
                call={current}
                request={desk.request}
                wrapping={status === 'wrap_up'}
                onDone={() => desk.clearCall()}
              />
            </>
          )}
        </Col>
        <Col xs={24} lg={6}>
          <Card size="small" title={t('knowledge.title')} style={{ marginBottom: 12 }} data-testid="knowledge">
            {desk.knowledge.length === 0 ? (
              <Typography.Text type="secondary">{t('knowledge.none')}</Typography.Text>
            ) : (
              <KnowledgeList prompts={desk.knowledge} />
            )}
          </Card>
          <MyQueue request={desk.request} canDial={signedIn && !current} />
        </Col>
      </Row>
    </div>
  );
}

function KnowledgeList({ prompts }: { prompts: ReturnType<typeof useDesk>['knowledge'] }) {
  const { i18n } = useTranslation();
  const pick = (x: { zh?: string; en?: string }) => (i18n.language === 'zh-CN' ? (x.zh ?? x.en) : (x.en ?? x.zh)) ?? '';
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {prompts.map((p, i) => (
        <Alert key={i} type="info" title={pick(p.title)} description={pick(p.body)} />
      ))}
    </Space>
  );
}
