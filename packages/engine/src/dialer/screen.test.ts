import { describe, expect, it } from 'vitest';
import { defaultProjectRules, type ProjectRules } from '@outdial/domain/projects';
import { EventBus, type DialerEvent } from './events.ts';
import { ComplianceScreen } from './screen.ts';
import { MemoryDialerStore, campaignRow, contact } from './testing.ts';

const T0 = Date.parse('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai, inside the default windows

function setup(rules: ProjectRules = defaultProjectRules()) {
  const store = new MemoryDialerStore();
  const bus = new EventBus();
  const events: DialerEvent[] = [];
  bus.subscribe((e) => events.push(e));
  let current = rules;
  const screen = new ComplianceScreen({
    repos: store.repos,
    bus,
    campaign: () => campaignRow(),
    rules: () => current,
  });
  return { store, events, screen, setRules: (r: ProjectRules) => (current = r) };
}

describe('ComplianceScreen', () => {
  it('lets through what the gate allows; a blocked number is deferred a day, counted and published', async () => {
    const { store, events, screen } = setup();
    const [a, b, c] = [contact(1), contact(2), contact(3)];
    store.blocked.add(b.phone);
    const r = await screen.screen([a, b, c], T0, false);
    expect(r.allowed).toEqual([a, c]);
    expect([...r.refused]).toEqual([[b.id, 'dnc']]);
    expect(store.deferred).toEqual([{ contactId: b.id, until: new Date(T0 + 86_400_000), close: null }]);
    expect(screen.refusals).toEqual({ dnc: 1 });
    expect(events).toEqual([{ type: 'DialRefused', at: T0, campaignId: 'campaign-1', contactId: b.id, code: 'dnc' }]);
  });

  it("judges each contact by its own history: a retry too soon waits for its delay, another contact's past does not count", async () => {
    const { store, screen } = setup();
    const [a, b] = [contact(1), contact(2)];
    store.history.push({
      id: 'h1',
      contactId: b.id,
      phone: b.phone,
      placedAt: new Date(T0 - 10 * 60_000),
      outcome: 'busy',
    });
    const r = await screen.screen([a, b], T0, false);
    expect(r.allowed).toEqual([a]);
    expect(r.refused.get(b.id)).toBe('retry_too_soon');
    // The busy delay (30 min) from the last attempt: the gate's own retry time.
    expect(store.deferred[0]?.until?.getTime()).toBe(T0 + 20 * 60_000);
  });

  it('closes a contact whose attempts reached the closing rule', async () => {
    const { store, screen } = setup();
    const k = contact(1);
    for (let i = 1; i <= 3; i++)
      store.history.push({
        id: `h${i}`,
        contactId: k.id,
        phone: k.phone,
        placedAt: new Date(T0 - i * 86_400_000),
        outcome: 'no_answer',
      });
    const r = await screen.screen([k], T0, false);
    expect(r.refused.get(k.id)).toBe('max_attempts_reached');
    expect(store.deferred[0]?.close).toEqual({ reason: 'max_attempts' });
  });

  it('reads the rules afresh: a holiday added while the campaign runs binds the next screen', async () => {
    const { screen, setRules } = setup();
    expect((await screen.screen([contact(1)], T0, false)).allowed).toHaveLength(1);
    setRules({ ...defaultProjectRules(), holidays: ['2026-03-02'] });
    const r = await screen.screen([contact(2)], T0, false);
    expect(r.allowed).toEqual([]);
    expect(r.refused.get('contact-2')).toBe('holiday');
    expect(screen.refusals).toEqual({ holiday: 1 });
  });
});
