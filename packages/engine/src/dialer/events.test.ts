import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../testing.ts';
import { EventBus, type DialerEvent } from './events.ts';

describe('EventBus', () => {
  it('a subscriber that throws stops neither the publisher nor the others, and its error is logged with the event', () => {
    const log = new RecordingLogger();
    const bus = new EventBus(log);
    const seen: string[] = [];
    bus.subscribe(() => {
      throw new TypeError('cannot read properties of undefined');
    });
    bus.subscribe((e) => seen.push(e.type));
    const e: DialerEvent = { type: 'CampaignFinished', at: 1, campaignId: 'c1', reason: 'end_time' };
    expect(() => bus.publish(e)).not.toThrow();
    bus.publish({ type: 'AgentStateChanged', at: 2, agentId: 'a1', status: 'ready', pauseReason: null });
    expect(seen).toEqual(['CampaignFinished', 'AgentStateChanged']);
    expect(
      log.at('error').map((x) => [x.msg, x.fields['component'], x.fields['event'], x.fields['campaignId']]),
    ).toEqual([
      ['an event subscriber failed', 'events', 'CampaignFinished', 'c1'],
      ['an event subscriber failed', 'events', 'AgentStateChanged', undefined],
    ]);
    const err = log.at('error')[0]!.fields['err'];
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).stack).toMatch(/events\.test\.ts/);
  });

  it('an unsubscribed listener hears nothing more', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const off = bus.subscribe((e) => seen.push(e.type));
    bus.publish({ type: 'CampaignFinished', at: 1, campaignId: 'c1', reason: 'end_time' });
    off();
    bus.publish({ type: 'CampaignFinished', at: 2, campaignId: 'c1', reason: 'end_time' });
    expect(seen).toEqual(['CampaignFinished']);
  });
});
