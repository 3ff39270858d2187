import { useEffect, useRef, useState } from 'react';
import { App, Button, Empty, Modal, Radio, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { CallControls as Controls, TransferTarget } from '@outdial/contracts';
import { LiveError } from '../api/live.ts';
import { errorText } from '../errors.ts';
import { duration } from '../util.ts';
import type { CurrentCall, useDesk } from './useDesk.ts';

type Request = ReturnType<typeof useDesk>['request'];

/** Reasons the server gives for refusing hold or transfer that have their own words here. */
const REASONS = new Set([
  'no_call',
  'hold_unsupported',
  'hold_failed',
  'transfer_unsupported',
  'target_not_found',
  'other_organisation',
  'target_not_ready',
  'target_lacks_skills',
  'same_agent',
  'transfer_failed',
]);

/**
 * The call bar's Hold (a toggle, with the time on hold) and Transfer (pick a ready agent of the
 * organisation and blind or attended). Disabled, with the reason, when the telephony cannot.
 */
export function CallControls({
  call,
  controls,
  request,
  now,
}: {
  call: CurrentCall;
  controls: Controls;
  request: Request;
  now: number;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [picking, setPicking] = useState(false);
  const live = !call.endedOutcome && !call.transferredTo;
  const held = call.heldSince !== null;

  const refusal = (err: unknown) => {
    const reason = err instanceof LiveError ? (err.details as { reason?: string } | undefined)?.reason : undefined;
    void message.error(reason && REASONS.has(reason) ? t(`call.refusals.${reason}`) : errorText(t, err));
  };
  const toggleHold = async () => {
    setBusy(true);
    try {
      await request({ type: 'hold', on: !held });
    } catch (err) {
      refusal(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Tooltip title={controls.hold ? undefined : t('call.holdUnsupported')}>
        <Button
          type={held ? 'primary' : 'default'}
          disabled={!controls.hold || !live}
          loading={busy}
          onClick={() => void toggleHold()}
          aria-pressed={held}
          data-testid="hold"
        >
          {held ? t('call.resume') : t('call.hold')}
        </Button>
      </Tooltip>
      <Tooltip title={controls.transfer ? undefined : t('call.transferUnsupported')}>
        <Button disabled={!controls.transfer || !live} onClick={() => setPicking(true)} data-testid="transfer">
          {t('call.transfer')}
        </Button>
      </Tooltip>
      {held && call.heldSince !== null && (
        <Tag color="orange" data-testid="held" aria-live="polite">
          {t('call.onHold', { time: duration(now - call.heldSince) })}
        </Tag>
      )}
      {picking && <TransferModal request={request} onRefused={refusal} onClose={() => setPicking(false)} />}
    </>
  );
}

function TransferModal({
  request,
  onRefused,
  onClose,
}: {
  request: Request;
  onRefused: (err: unknown) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [agents, setAgents] = useState<TransferTarget[] | null>(null);
  const [to, setTo] = useState<string | null>(null);
  const [mode, setMode] = useState<'blind' | 'attended'>('attended');
  const [sending, setSending] = useState(false);
  const refused = useRef(onRefused);
  refused.current = onRefused;

  useEffect(() => {
    let gone = false;
    request<{ agents: TransferTarget[] }>({ type: 'transfer_targets' })
      .then((r) => !gone && setAgents(r.agents))
      .catch((err: unknown) => {
        if (gone) return;
        setAgents([]);
        refused.current(err);
      });
    return () => {
      gone = true;
    };
  }, [request]);

  const send = async () => {
    const target = agents?.find((a) => a.userId === to);
    if (!target) return;
    setSending(true);
    try {
      await request({ type: 'transfer', to: target.userId, mode });
      void message.info(t('call.transferring', { name: target.displayName }));
      onClose();
    } catch (err) {
      onRefused(err);
    } finally {
      setSending(false);
    }
  };

  return (
    <Modal
      open
      title={t('call.transferTitle')}
      okText={t('call.transferOk')}
      cancelText={t('common.cancel')}
      okButtonProps={{ disabled: !to, loading: sending }}
      onOk={() => void send()}
      onCancel={onClose}
    >
      <Space orientation="vertical" style={{ width: '100%' }} size="middle">
        <div>
          <Typography.Text strong>{t('call.transferTo')}</Typography.Text>
          {agents === null ? (
            <div>
              <Spin />
            </div>
          ) : agents.length === 0 ? (
            <Empty description={t('call.noTargets')} />
          ) : (
            <Radio.Group value={to} onChange={(e) => setTo(e.target.value as string)} style={{ display: 'block' }}>
              <Space orientation="vertical">
                {agents.map((a) => (
                  <Radio key={a.userId} value={a.userId}>
                    {a.displayName} <Typography.Text type="secondary">({a.username})</Typography.Text>
                  </Radio>
                ))}
              </Space>
            </Radio.Group>
          )}
        </div>
        <div>
          <Typography.Text strong>{t('call.transferMode')}</Typography.Text>
          <Radio.Group
            value={mode}
            onChange={(e) => setMode(e.target.value as 'blind' | 'attended')}
            style={{ display: 'block' }}
          >
            <Space orientation="vertical">
              <Radio value="attended">{t('call.attended')}</Radio>
              <Radio value="blind">{t('call.blind')}</Radio>
            </Space>
          </Radio.Group>
        </div>
      </Space>
    </Modal>
  );
}
