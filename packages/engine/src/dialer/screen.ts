import type { AttemptsStore, CampaignRow, CampaignsStore, DncStore, LeasedContact } from '../ports/index.ts';
import { checkDial, type AttemptRecord, type RefusalCode } from '@outdial/domain/compliance';
import { defaultTimeZoneForRegion } from '@outdial/domain/phone';
import type { ProjectRules } from '@outdial/domain/projects';
import type { EventBus } from './events.ts';

/** What the screen reads and writes. */
export interface ScreenRepos {
  attempts: Pick<AttemptsStore, 'history'>;
  dnc: Pick<DncStore, 'blocked'>;
  campaigns: Pick<CampaignsStore, 'defer'>;
}

export interface Screened {
  allowed: LeasedContact[];
  /** Refused contacts by id, with the gate's code. */
  refused: Map<string, RefusalCode>;
}

/** Without a retry time from the gate: a day for a blocked number (lists change rarely), else 15 minutes. */
const retryAfterMs = (code: RefusalCode) => (code === 'dnc' ? 86_400_000 : 15 * 60_000);

/**
 * The compliance gate over leased contacts, just before they are dialed (or offered in preview):
 * their attempt history and the do-not-call lists are read as they are now, and `checkDial`
 * (domain/compliance) judges each. A refused contact is deferred to when it may be called (or
 * closed, when the gate says so), counted by reason and published as DialRefused.
 */
export class ComplianceScreen {
  /** Refusals by code, since the runner started. */
  readonly refusals: Record<string, number> = {};

  constructor(
    private readonly deps: {
      repos: ScreenRepos;
      bus: EventBus;
      campaign: () => Pick<CampaignRow, 'id' | 'orgId' | 'projectId'>;
      /** The project's rules as last read (they may change while the campaign runs). */
      rules: () => ProjectRules;
    },
  ) {}

  /** `agentGuaranteed`: an agent is waiting for the call (progressive, preview), which some rules ask for. */
  async screen(leased: readonly LeasedContact[], t: number, agentGuaranteed: boolean): Promise<Screened> {
    const { repos, bus } = this.deps;
    const c = this.deps.campaign();
    const rules = this.deps.rules();
    const [history, blocked] = await Promise.all([
      repos.attempts.history(leased.map((l) => l.id)),
      repos.dnc.blocked(
        c.orgId,
        c.projectId,
        leased.map((l) => l.phone),
        new Date(t),
      ),
    ]);
    const byContact = new Map<string, AttemptRecord[]>();
    for (const h of history) {
      const record: AttemptRecord = { phone: h.phone, placedAt: h.placedAt.getTime(), outcome: h.outcome };
      const list = byContact.get(h.contactId);
      if (list) list.push(record);
      else byContact.set(h.contactId, [record]);
    }
    const allowed: LeasedContact[] = [];
    const refused = new Map<string, RefusalCode>();
    for (const contact of leased) {
      const gate = checkDial(
        {
          contactStatus: contact.status,
          callbackAt: contact.callbackAt?.getTime() ?? null,
          contactTimeZone: contact.timezone,
          numberTimeZone: defaultTimeZoneForRegion(contact.region ?? ''),
          phone: contact.phone,
          attempts: byContact.get(contact.id) ?? [],
          onDncList: blocked.has(contact.phone),
          agentGuaranteed,
        },
        rules,
        t,
      );
      if (gate.allowed) {
        allowed.push(contact);
        continue;
      }
      this.refusals[gate.code] = (this.refusals[gate.code] ?? 0) + 1;
      refused.set(contact.id, gate.code);
      bus.publish({ type: 'DialRefused', at: t, campaignId: c.id, contactId: contact.id, code: gate.code });
      await repos.campaigns.defer(
        c.id,
        contact.id,
        new Date(gate.retryAt ?? t + retryAfterMs(gate.code)),
        gate.closeContact ? { reason: 'max_attempts' } : null,
      );
    }
    return { allowed, refused };
  }
}
