import type { AgentState } from '@outdial/domain/agents';
import type { AttemptOutcome, NextStep } from '@outdial/domain/compliance';
import type { GovernedMode } from '@outdial/domain/pacing';
import type { LocalText } from '@outdial/domain/questionnaires';
import { silentLogger, type Logger } from '../logger.ts';

/** What the dialer publishes, in-process and (through the server) to WebSocket subscribers. */
export type DialerEvent =
  | { type: 'CallPlaced'; at: number; campaignId: string; attemptId: string; contactId: string }
  | { type: 'CallAnswered'; at: number; campaignId: string; attemptId: string; amd: 'human' | 'machine' | 'unknown' }
  | {
      type: 'CallConnected';
      at: number;
      campaignId: string;
      attemptId: string;
      contactId: string;
      agentId: string;
      waitMs: number;
    }
  | {
      type: 'CallEnded';
      at: number;
      campaignId: string;
      attemptId: string;
      agentId: string | null;
      outcome: AttemptOutcome;
      abandoned: boolean;
      /** The contact's next step, or already_recorded when another writer closed the attempt first. */
      next: NextStep['kind'] | 'already_recorded';
    }
  | { type: 'DialRefused'; at: number; campaignId: string; contactId: string; code: string }
  | {
      type: 'AgentStateChanged';
      at: number;
      agentId: string;
      status: AgentState['status'];
      pauseReason: string | null;
    }
  | {
      type: 'ModeChanged';
      at: number;
      campaignId: string;
      from: GovernedMode;
      to: GovernedMode;
      reason: string;
      detail: string;
    }
  | { type: 'CampaignFinished'; at: number; campaignId: string; reason: string }
  | { type: 'CircuitBreakerTripped'; at: number; campaignId: string; reason: string; detail: string }
  | {
      type: 'PreviewOffered';
      at: number;
      campaignId: string;
      previewId: string;
      agentId: string;
      contactId: string;
      timeoutS: number;
    }
  | {
      type: 'PreviewDecided';
      at: number;
      campaignId: string;
      previewId: string;
      agentId: string;
      contactId: string;
      decision: 'dial' | 'skip';
      reason: string | null;
    }
  | {
      type: 'DispositionRecorded';
      at: number;
      campaignId: string | null;
      attemptId: string;
      contactId: string;
      agentId: string | null;
      code: string;
      next: NextStep['kind'];
      /** The pause the agent asked for after this wrap-up (null: ready again). */
      pause: string | null;
    }
  | {
      /** Knowledge prompts whose keywords came up in a call's notes or transcript (pushed to its agent). */
      type: 'KnowledgeMatched';
      at: number;
      attemptId: string;
      agentId: string;
      prompts: { title: LocalText; body: LocalText; keywords: string[] }[];
    }
  | SessionsEnded;

/**
 * A user's sessions ended (logout, disabled, role or password changed): their live connections
 * close and they leave the dialer at once. `sessionId` null: every session of the user.
 */
export interface SessionsEnded {
  type: 'SessionsEnded';
  at: number;
  userId: string;
  sessionId: string | null;
  reason: 'logged_out' | 'disabled' | 'role_changed' | 'password_changed';
}

/**
 * The process's events, delivered to each subscriber in turn, synchronously. A subscriber that
 * throws does not stop the publisher (the dialer) or the other subscribers; its error is logged
 * with the event's type and the stack.
 */
export class EventBus {
  private readonly listeners = new Set<(e: DialerEvent) => void>();
  private readonly log: Logger;

  constructor(logger: Logger = silentLogger) {
    this.log = logger.child({ component: 'events' });
  }

  subscribe(l: (e: DialerEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  publish(e: DialerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error(
          { err, event: e.type, ...('campaignId' in e ? { campaignId: e.campaignId } : {}) },
          'an event subscriber failed',
        );
      }
    }
  }
}
