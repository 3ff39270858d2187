import { describe, expect, it } from 'vitest';
import type { LeasedContact } from '@outdial/db';
import { defaultProjectRules } from '@outdial/domain/projects';
import { RecordingLogger } from '../testing.ts';
import { AgentDesk } from './desk.ts';
import { EventBus, type DialerEvent } from './events.ts';
import { PreviewDesk, PreviewGone } from './preview.ts';
import { ComplianceScreen } from './screen.ts';
import { MemoryDialerStore, campaignRow, contact } from './testing.ts';
import { VirtualScheduler } from './virtual-scheduler.ts';

const T0 = Date.parse('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai

function setup(agentIds: string[] = ['a1', 'a2', 'a3']) {
  const scheduler = new VirtualScheduler(T0);
  const store = new MemoryDialerStore();
  const bus = new EventBus();
  const events: DialerEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const desk = new AgentDesk(bus);
  for (const id of agentIds) {
    desk.apply(id, { type: 'login', at: T0 }, {}, 'org-1');
    desk.apply(id, { type: 'ready', at: T0 });
  }
  const log = new RecordingLogger();
  const campaign = campaignRow({ dialMode: 'preview', previewTimeoutSeconds: 30 });
  const screen = new ComplianceScreen({
    repos: store.repos,
    bus,
    campaign: () => campaign,
    rules: defaultProjectRules,
  });
  const dialed: { contact: LeasedContact; agentId: string; previewId: string }[] = [];
  const givenBack: string[] = [];
  const pending: Promise<unknown>[] = [];
  const host = {
    stopped: false,
    wakes: 0,
    dialFails: null as Error | null,
  };
  const previews = new PreviewDesk({
    host: {
      campaign: () => campaign,
      stopped: () => host.stopped,
      screen: (k, t, g) => screen.screen(k, t, g),
      dial: (k, _t, p) => {
        if (host.dialFails) return Promise.reject(host.dialFails);
        dialed.push({ contact: k, ...p });
        const attemptId = `attempt-${dialed.length}`;
        desk.moveReservation(p.agentId, p.previewId, attemptId, scheduler.now());
        return Promise.resolve(attemptId);
      },
      wake: () => host.wakes++,
    },
    repo: store.repos.campaigns,
    desk,
    bus,
    scheduler,
    quota: { giveBack: (ks) => givenBack.push(...ks.map((k) => k.id)) },
    background: (p, what, context) => {
      pending.push(p.catch((err: unknown) => log.error({ err, ...context }, what)));
    },
  });
  const settle = async () => {
    while (pending.length) await Promise.all(pending.splice(0));
  };
  const offered = () => events.filter((e) => e.type === 'PreviewOffered');
  const decided = () => events.filter((e) => e.type === 'PreviewDecided');
  return { scheduler, store, events, desk, log, host, previews, dialed, givenBack, settle, offered, decided };
}

describe('PreviewDesk', () => {
  it('offers one contact to each ready agent and gives the rest back at once', async () => {
    const { previews, desk, store, givenBack, offered } = setup();
    expect(previews.wanted()).toBe(3);
    const leased = [1, 2, 3, 4, 5].map((n) => contact(n));
    await previews.offer(leased);
    expect(offered().map((e) => e.type === 'PreviewOffered' && [e.agentId, e.contactId, e.timeoutS])).toEqual([
      ['a1', 'contact-1', 30],
      ['a2', 'contact-2', 30],
      ['a3', 'contact-3', 30],
    ]);
    expect(desk.all().map((a) => a.state.status)).toEqual(['reserved', 'reserved', 'reserved']);
    expect(previews.wanted()).toBe(0);
    expect(store.released).toEqual(['contact-4', 'contact-5']);
    expect(givenBack).toEqual(['contact-4', 'contact-5']);
    expect(previews.holds('contact-2')).toBe(true);
    expect(previews.of('a2')).toMatchObject({ contactId: 'contact-2', offeredAt: T0 });
    expect(previews.stats).toMatchObject({ offered: 3 });
  });

  it('the agent dials: the gate looks again, the call is theirs, the decision stored and published', async () => {
    const { previews, desk, dialed, store, settle, decided } = setup(['a1']);
    await previews.offer([contact(1)]);
    const offer = previews.of('a1')!;
    const r = await previews.decide(offer.id, 'dial');
    expect(r).toEqual({ attemptId: 'attempt-1', refused: null });
    expect(dialed).toMatchObject([{ contact: { id: 'contact-1' }, agentId: 'a1', previewId: offer.id }]);
    expect(desk.get('a1')?.state).toMatchObject({ status: 'reserved', callId: 'attempt-1' });
    await settle();
    expect(store.previews).toMatchObject([
      { contactId: 'contact-1', agentUserId: 'a1', decision: 'dial', reason: null },
    ]);
    expect(decided()).toMatchObject([{ previewId: offer.id, decision: 'dial', reason: null }]);
    expect(previews.stats).toMatchObject({ offered: 1, dialed: 1 });
    // The offer is closed: a second click is refused.
    await expect(previews.decide(offer.id, 'dial')).rejects.toBeInstanceOf(PreviewGone);
  });

  it('the agent skips: the contact waits 15 minutes, the agent is free and the loop woken', async () => {
    const { previews, desk, store, givenBack, host, settle } = setup(['a1']);
    await previews.offer([contact(1)]);
    const r = await previews.decide(previews.of('a1')!.id, 'skip', 'not_suitable');
    expect(r).toEqual({ attemptId: null, refused: null });
    expect(store.deferred).toEqual([{ contactId: 'contact-1', until: new Date(T0 + 15 * 60_000), close: null }]);
    expect(desk.get('a1')?.state.status).toBe('ready');
    expect(givenBack).toEqual(['contact-1']);
    expect(host.wakes).toBe(1);
    await settle();
    expect(store.previews).toMatchObject([{ decision: 'skip', reason: 'not_suitable' }]);
    expect(previews.stats.skipped).toEqual({ not_suitable: 1 });
  });

  it('an offer nobody acts on times out; an agent who leaves gives theirs back at once', async () => {
    const { previews, desk, scheduler, settle, decided } = setup(['a1', 'a2']);
    await previews.offer([contact(1), contact(2)]);
    desk.apply('a2', { type: 'lost', at: scheduler.now() });
    await settle();
    scheduler.advance(29_999);
    await settle();
    expect(decided().map((e) => e.type === 'PreviewDecided' && [e.agentId, e.reason])).toEqual([['a2', 'agent_left']]);
    scheduler.advance(1);
    await settle();
    expect(decided().map((e) => e.type === 'PreviewDecided' && [e.agentId, e.reason])).toEqual([
      ['a2', 'agent_left'],
      ['a1', 'timeout'],
    ]);
    expect(previews.stats.skipped).toEqual({ agent_left: 1, timeout: 1 });
  });

  it('a dial the gate now refuses (the number was blocked meanwhile) is a skip by the system', async () => {
    const { previews, store, desk, dialed } = setup(['a1']);
    await previews.offer([contact(1)]);
    store.blocked.add(contact(1).phone);
    const r = await previews.decide(previews.of('a1')!.id, 'dial');
    expect(r).toEqual({ attemptId: null, refused: 'dnc' });
    expect(dialed).toEqual([]);
    expect(desk.get('a1')?.state.status).toBe('ready');
    expect(previews.stats.skipped).toEqual({ refused_dnc: 1 });
  });

  it('a dial whose write fails leaves no agent reserved and no dial claimed, and says so', async () => {
    const { previews, desk, givenBack, host } = setup(['a1']);
    await previews.offer([contact(1)]);
    host.dialFails = new Error('connection reset');
    await expect(previews.decide(previews.of('a1')!.id, 'dial')).rejects.toThrow('connection reset');
    expect(desk.get('a1')?.state.status).toBe('ready');
    expect(givenBack).toEqual(['contact-1']);
  });

  it('nothing is offered once the campaign stopped, and stopping takes back what was offered', async () => {
    const { previews, host, store, settle, decided, desk } = setup(['a1', 'a2']);
    await previews.offer([contact(1)]);
    previews.skipAll('campaign_stopped');
    host.stopped = true;
    await previews.offer([contact(2)]);
    await settle();
    expect(decided()).toMatchObject([{ contactId: 'contact-1', reason: 'campaign_stopped' }]);
    expect(store.released).toEqual(['contact-2']);
    expect(desk.all().every((a) => a.state.status === 'ready')).toBe(true);
  });

  it('a decision that cannot be stored is logged with the offer it belongs to', async () => {
    const { previews, store, settle, log } = setup(['a1']);
    await previews.offer([contact(1)]);
    const id = previews.of('a1')!.id;
    store.repos.campaigns.recordPreview = () => Promise.reject(new Error('database is away'));
    await previews.decide(id, 'skip', 'not_suitable');
    await settle();
    expect(log.at('error')).toMatchObject([
      { msg: 'storing a preview decision failed', fields: { previewId: id, contactId: 'contact-1', agentId: 'a1' } },
    ]);
  });
});
