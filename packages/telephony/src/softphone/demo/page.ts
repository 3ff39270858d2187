/// <reference lib="dom" />
/**
 * A minimal page around the softphone, wired as the workstation wires it: a `PhoneController`
 * over a `Softphone` (the test's page, and a manual check):
 * ?ws=ws://127.0.0.1:8088&uri=sip:agent2@127.0.0.1[&autoAnswer=0] registers and takes what comes.
 * The controller's view and actions go to window.softphone for the test to read and press.
 */
import { PhoneController } from '../controller.ts';
import { Softphone } from '../index.ts';

const q = new URLSearchParams(location.search);
const status = document.getElementById('status')!;
const calls: { attemptId: string | null; state: string }[] = [];
const controller = new PhoneController({
  create: () =>
    new Softphone({
      wsUrl: q.get('ws') ?? 'ws://127.0.0.1:8088',
      uri: q.get('uri') ?? 'sip:agent2@127.0.0.1',
      autoAnswer: q.get('autoAnswer') !== '0',
    }),
  checkMicrophone: async () => {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true });
    for (const t of s.getTracks()) t.stop();
  },
});
// Every call the page has seen, with its last status (the view shows only the latest).
controller.subscribe(() => {
  const v = controller.view;
  status.textContent = `${v.registration}${v.detail ? ` (${v.detail})` : ''}`;
  const c = v.call;
  if (!c) return;
  const state = c.status === 'active' ? 'connected' : c.status === 'ended' ? `ended:${c.endCause}` : c.status;
  const last = calls.at(-1);
  if (last && last.attemptId === c.attemptId && !last.state.startsWith('ended')) last.state = state;
  else if (!last || last.attemptId !== c.attemptId) calls.push({ attemptId: c.attemptId, state });
});
void controller.start();
Object.assign(window, {
  softphone: {
    state: () => controller.view.registration,
    view: () => controller.view,
    calls: () => calls,
    stats: () => controller.stats(),
    answer: () => controller.answer(),
    hangup: () => controller.hangup(),
    mute: () => controller.toggleMute(),
    hold: () => controller.toggleHold(),
    dtmf: (k: string) => controller.dtmf(k),
  },
});
