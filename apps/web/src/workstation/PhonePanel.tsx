import { useEffect, useRef, useState } from 'react';
import { Alert, Badge, Button, Card, Space, Spin, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { telephony } from '@outdial/contracts';
import type { Static } from 'typebox';
import { PhoneController, type PhoneView } from '@outdial/telephony/softphone/controller';
import { call } from '../api/client.ts';
import { STATE_COLOURS } from '../colours.ts';
import { duration, useNow } from '../util.ts';

type MyPhone = Static<typeof telephony.AgentPhone>;

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;

/** Asks for the microphone once, so that a refusal is explained before the first call rings. */
async function checkMicrophone(): Promise<void> {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia)
    throw Object.assign(new Error('insecure context'), { name: 'InsecureContextError' });
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  for (const track of stream.getTracks()) track.stop();
}

/**
 * 软电话: the agent's phone. With a browser phone configured (GET /me/phone), the softphone module
 * and JsSIP are loaded here (a chunk of their own) and registered at the agents' Kamailio;
 * otherwise the panel says how this agent takes calls.
 */
export function PhonePanel({ attemptId }: { attemptId: string | null }) {
  const { t } = useTranslation();
  const phone = useQuery({ queryKey: ['my-phone'], queryFn: () => call(telephony.myPhone), staleTime: Infinity });
  const p = phone.data;
  return (
    <Card size="small" title={t('phone.title')} style={{ marginBottom: 12 }} data-testid="phone-panel">
      {!p ? (
        phone.isError ? (
          <Typography.Text type="secondary">{t('phone.deskNoUri')}</Typography.Text>
        ) : (
          <Spin size="small" />
        )
      ) : p.kind === 'browser' && p.wsUrl && p.uri ? (
        <BrowserPhone phone={p} attemptId={attemptId} />
      ) : (
        <Typography.Text type="secondary" data-testid="phone-kind">
          {p.kind === 'simulated'
            ? t('phone.simulated')
            : p.uri
              ? t('phone.desk', { uri: p.uri })
              : t('phone.deskNoUri')}
        </Typography.Text>
      )}
    </Card>
  );
}

const INITIAL: PhoneView = { registration: 'loading', detail: null, mic: null, call: null };

const BADGE: Record<PhoneView['registration'], 'success' | 'processing' | 'error' | 'default'> = {
  loading: 'processing',
  connecting: 'processing',
  registered: 'success',
  unregistered: 'default',
  failed: 'error',
};

function BrowserPhone({ phone, attemptId }: { phone: MyPhone; attemptId: string | null }) {
  const { t } = useTranslation();
  const now = useNow();
  const { wsUrl, uri, autoAnswer } = phone;
  const [view, setView] = useState<PhoneView>(INITIAL);
  const ref = useRef<PhoneController | null>(null);
  // One controller per mount (React's StrictMode mounts twice in development: each mount gets its own).
  useEffect(() => {
    const controller = new PhoneController({
      create: async () => {
        // The only place JsSIP is loaded: agents without a browser phone never download it.
        const { Softphone } = await import('@outdial/telephony/softphone');
        return new Softphone({ wsUrl: wsUrl!, uri: uri!, autoAnswer });
      },
      checkMicrophone,
    });
    ref.current = controller;
    const off = controller.subscribe(() => setView(controller.view));
    void controller.start();
    return () => {
      off();
      controller.stop();
      if (ref.current === controller) ref.current = null;
      setView(INITIAL);
    };
  }, [wsUrl, uri, autoAnswer]);
  const controller = {
    answer: () => ref.current?.answer(),
    hangup: () => ref.current?.hangup(),
    toggleMute: () => ref.current?.toggleMute(),
    toggleHold: () => ref.current?.toggleHold(),
    dtmf: (k: string) => ref.current?.dtmf(k),
    checkMicrophone: () => ref.current?.checkMicrophone(),
  };
  const c = view.call;
  const reg = view.registration;

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="browser-phone" data-registration={reg}>
      <Space wrap>
        <Badge status={BADGE[reg]} text={t(`phone.registration.${reg}`)} data-testid="phone-registration" />
        {view.detail && <Typography.Text type="secondary">({view.detail})</Typography.Text>}
      </Space>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('phone.identity', { uri })}
      </Typography.Text>
      {(reg === 'failed' || reg === 'unregistered') && (
        <Alert type="warning" showIcon title={t('phone.notRegistered')} />
      )}
      {view.mic && (
        <Alert
          type="error"
          showIcon
          role="alert"
          data-testid="phone-mic"
          title={t(`phone.mic.${view.mic}`)}
          action={
            <Button size="small" onClick={() => void controller.checkMicrophone()}>
              {t('phone.retryMic')}
            </Button>
          }
        />
      )}
      {!c ? (
        <Typography.Text type="secondary">
          {t('phone.idle')} {t(autoAnswer ? 'phone.autoAnswer' : 'phone.manualAnswer')}
        </Typography.Text>
      ) : (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="phone-call" data-status={c.status}>
          <Space wrap>
            <Tag
              color={
                c.status === 'ringing'
                  ? STATE_COLOURS.reserved
                  : c.status === 'active'
                    ? STATE_COLOURS.talking
                    : STATE_COLOURS.logged_out
              }
            >
              {c.status === 'ended'
                ? t('phone.ended', { cause: c.endCause ?? '' })
                : t(c.status === 'ringing' ? 'phone.ringing' : 'phone.active')}
            </Tag>
            {c.status === 'active' && <Typography.Text strong>{duration(now - c.since)}</Typography.Text>}
            {c.held && <Tag color={STATE_COLOURS.paused}>{t('phone.held')}</Tag>}
            {c.muted && <Tag color={STATE_COLOURS.paused}>{t('phone.muted')}</Tag>}
            {c.attemptId && attemptId === c.attemptId && (
              <Tag color={STATE_COLOURS.ready} data-testid="phone-tied">
                {t('phone.thisCall')}
              </Tag>
            )}
            {c.attemptId && attemptId && attemptId !== c.attemptId && c.status !== 'ended' && (
              <Tag color={STATE_COLOURS.paused}>{t('phone.otherCall')}</Tag>
            )}
          </Space>
          {c.attemptId && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('phone.attempt', { id: c.attemptId })}
            </Typography.Text>
          )}
          {c.status === 'ringing' && (
            <Space wrap>
              <Button type="primary" onClick={() => controller.answer()} data-testid="phone-answer">
                {t('phone.answer')}
              </Button>
              <Button danger onClick={() => controller.hangup()}>
                {t('phone.decline')}
              </Button>
            </Space>
          )}
          {c.status === 'active' && (
            <>
              <Space wrap>
                <Button onClick={() => controller.toggleMute()} aria-pressed={c.muted} data-testid="phone-mute">
                  {t(c.muted ? 'phone.unmute' : 'phone.mute')}
                </Button>
                <Button onClick={() => controller.toggleHold()} aria-pressed={c.held} data-testid="phone-hold">
                  {t(c.held ? 'phone.resume' : 'phone.hold')}
                </Button>
                <Button danger type="primary" onClick={() => controller.hangup()} data-testid="phone-hangup">
                  {t('phone.hangup')}
                </Button>
              </Space>
              <div
                role="group"
                aria-label={t('phone.keypad')}
                style={{ display: 'grid', gridTemplateColumns: 'repeat(3, 48px)', gap: 4 }}
              >
                {KEYS.map((k) => (
                  <Button
                    key={k}
                    size="small"
                    disabled={c.held}
                    aria-label={t('phone.key', { key: k })}
                    onClick={() => controller.dtmf(k)}
                  >
                    {k}
                  </Button>
                ))}
              </div>
              {c.digits && (
                <Typography.Text type="secondary">{t('phone.digits', { digits: c.digits })}</Typography.Text>
              )}
            </>
          )}
        </Space>
      )}
    </Space>
  );
}
