/** What the dialer publishes, in-process and (through the server) to WebSocket subscribers. */
export type DialerEvent =
  | { type: 'CallPlaced'; at: number; campaignId: string; attemptId: string; contactId: string }
  | { type: 'CallAnswered'; at: number; campaignId: string; attemptId: string; amd: 'human' | 'machine' | 'unknown' }
  | { type: 'CallConnected'; at: number; campaignId: string; attemptId: string; agentId: string; waitMs: number }
  | { type: 'CallEnded'; at: number; campaignId: string; attemptId: string; outcome: string; abandoned: boolean; next: string }
  | { type: 'DialRefused'; at: number; campaignId: string; contactId: string; code: string }
  | { type: 'AgentStateChanged'; at: number; agentId: string; status: string; pauseReason: string | null }
  | { type: 'ModeChanged'; at: number; campaignId: string; from: string; to: string; reason: string; detail: string }
  | { type: 'CampaignFinished'; at: number; campaignId: string; reason: string };

export class EventBus {
  private readonly listeners = new Set<(e: DialerEvent) => void>();
  subscribe(l: (e: DialerEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  publish(e: DialerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A subscriber's failure must not stop the dialer or the other subscribers.
      }
    }
  }
}
