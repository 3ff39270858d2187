import { assertCan, type Principal } from '../auth.ts';
import type { Dialer } from './dialer.ts';

/**
 * What supervisors read of this node's dialer: agents and their states, a running campaign's
 * live figures. Always scoped to the reader's organisation (one node serves several).
 */
export class DialerMonitor {
  constructor(private readonly dialer: Dialer | undefined) {}

  agents(p: Principal) {
    assertCan(p, 'campaigns:read');
    return (this.dialer?.desk.all() ?? [])
      .filter((a) => a.orgId === null || a.orgId === p.orgId)
      .map((a) => ({
        agentId: a.id,
        status: a.state.status,
        since: new Date(a.state.since),
        callId: a.state.callId,
        pauseReason: a.state.pauseReason,
      }));
  }

  /** A campaign's live figures when this node runs it (the caller has checked the campaign is the reader's). */
  campaign(p: Principal, campaignId: string) {
    const runner = this.dialer?.runner(campaignId);
    if (!runner || !this.dialer || runner.campaign.orgId !== p.orgId) return null;
    const s = runner.snapshotStats();
    return {
      mode: s.mode,
      modeReason: s.modeReason,
      refusals: s.refusals,
      agents: this.dialer.desk.counts(p.orgId),
      liveCalls: runner.liveCalls,
    };
  }
}
