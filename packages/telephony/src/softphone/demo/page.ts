/// <reference lib="dom" />
/**
 * A minimal page around the softphone (the test's, and a manual check before apps/web embeds
 * it): ?ws=ws://127.0.0.1:8088&uri=sip:agent2@127.0.0.1 registers and answers what comes.
 * State goes to window.softphone for the test to read.
 */
import { Softphone, type SoftphoneCall } from '../index.ts';

const q = new URLSearchParams(location.search);
const status = document.getElementById('status')!;
const calls: { attemptId: string | null; state: string }[] = [];
let current: SoftphoneCall | null = null;
const phone = new Softphone({
  wsUrl: q.get('ws') ?? 'ws://127.0.0.1:8088',
  uri: q.get('uri') ?? 'sip:agent2@127.0.0.1',
});
phone.on('state', (s, d) => (status.textContent = `${s}${d ? ` (${d})` : ''}`));
phone.on('incoming', (c) => {
  current = c;
  calls.push({ attemptId: c.attemptId, state: 'ringing' });
});
phone.on('connected', (c) => {
  const rec = calls.find((x) => x.attemptId === c.attemptId);
  if (rec) rec.state = 'connected';
});
phone.on('ended', (c, cause) => {
  const rec = calls.find((x) => x.attemptId === c.attemptId);
  if (rec) rec.state = `ended:${cause}`;
  if (current === c) current = null;
});
phone.start();
Object.assign(window, {
  softphone: {
    state: () => phone.state,
    calls: () => calls,
    stats: () => (current ? current.stats() : Promise.resolve(null)),
    hangup: () => current?.hangup(),
  },
});
