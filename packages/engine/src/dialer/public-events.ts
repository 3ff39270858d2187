import type { PublicEvent } from '@outdial/contracts';
import type { DialerEvent } from './events.ts';

/**
 * The one place internal dialer events become public, versioned events (what supervisors'
 * connections — and later webhooks and reports — receive). An internal event that has no public
 * meaning maps to null. The switch is exhaustive: a new internal event must be decided here.
 */
export function toPublicEvent(e: DialerEvent): PublicEvent | null {
  const v = 1 as const;
  switch (e.type) {
    case 'CallPlaced':
      return {
        v,
        type: 'call.placed',
        at: e.at,
        campaignId: e.campaignId,
        attemptId: e.attemptId,
        contactId: e.contactId,
      };
    case 'CallAnswered':
      return { v, type: 'call.answered', at: e.at, campaignId: e.campaignId, attemptId: e.attemptId, amd: e.amd };
    case 'CallConnected':
      return {
        v,
        type: 'call.connected',
        at: e.at,
        campaignId: e.campaignId,
        attemptId: e.attemptId,
        contactId: e.contactId,
        agentId: e.agentId,
        waitMs: e.waitMs,
      };
    case 'CallEnded':
      return {
        v,
        type: 'call.ended',
        at: e.at,
        campaignId: e.campaignId,
        attemptId: e.attemptId,
        agentId: e.agentId,
        outcome: e.outcome,
        abandoned: e.abandoned,
        next: e.next,
      };
    case 'DialRefused':
      return { v, type: 'dial.refused', at: e.at, campaignId: e.campaignId, contactId: e.contactId, code: e.code };
    case 'AgentStateChanged':
      return {
        v,
        type: 'agent.state_changed',
        at: e.at,
        agentId: e.agentId,
        status: e.status,
        pauseReason: e.pauseReason,
      };
    case 'ModeChanged':
      return {
        v,
        type: 'campaign.mode_changed',
        at: e.at,
        campaignId: e.campaignId,
        from: e.from,
        to: e.to,
        reason: e.reason,
        detail: e.detail,
      };
    case 'CampaignFinished':
      return { v, type: 'campaign.finished', at: e.at, campaignId: e.campaignId, reason: e.reason };
    case 'CircuitBreakerTripped':
      return {
        v,
        type: 'campaign.breaker_tripped',
        at: e.at,
        campaignId: e.campaignId,
        reason: e.reason,
        detail: e.detail,
      };
    case 'PreviewOffered':
      return {
        v,
        type: 'preview.offered',
        at: e.at,
        campaignId: e.campaignId,
        previewId: e.previewId,
        agentId: e.agentId,
        contactId: e.contactId,
        timeoutS: e.timeoutS,
      };
    case 'PreviewDecided':
      return {
        v,
        type: 'preview.decided',
        at: e.at,
        campaignId: e.campaignId,
        previewId: e.previewId,
        agentId: e.agentId,
        contactId: e.contactId,
        decision: e.decision,
        reason: e.reason,
      };
    case 'KnowledgeMatched': // private to the call's agent
    case 'SessionsEnded':
      return null; // security bookkeeping, not a call-centre event
    case 'DispositionRecorded':
      return {
        v,
        type: 'disposition.recorded',
        at: e.at,
        campaignId: e.campaignId,
        attemptId: e.attemptId,
        contactId: e.contactId,
        agentId: e.agentId,
        code: e.code,
        next: e.next,
      };
  }
}
