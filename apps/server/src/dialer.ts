import { AgentGateway, Dialer, SimulatedAgents, realScheduler } from '@outdial/engine';
import { SimulatedCarrier, defaultSimulatedCarrier } from '@outdial/telephony/simulated';
import type { Platform } from './platform.ts';

export interface RunningDialer {
  dialer: Dialer;
  gateway: AgentGateway;
  stop(): Promise<void>;
}

/** How often the dialer looks at the campaigns table (start, pause, stop from any node). */
const SYNC_MS = 2000;

/**
 * The dialer of this node, on the simulated carrier (the only adapter until SIP arrives). In
 * demo mode the simulator also plays the last `simulatedAgents` demo agents (agent20 downwards),
 * so a started campaign really dials, connects and wraps up; the others log in over the API.
 */
export async function startDialer(
  platform: Platform,
  opts: { simulatedAgents: number; log: (m: string) => void },
): Promise<RunningDialer> {
  const carrier = new SimulatedCarrier(
    { ...defaultSimulatedCarrier, ...platform.config.simulatedCarrier },
    realScheduler,
    Math.random,
  );
  const dialer = new Dialer({
    repos: platform.repos,
    telephony: carrier,
    scheduler: realScheduler,
    attempts: platform.services.attempts,
    campaigns: platform.services.campaigns,
    bus: platform.services.events,
    log: (err) => opts.log(`dialer: ${err instanceof Error ? err.message : String(err)}`),
  });
  const gateway = new AgentGateway(
    {
      dialer,
      repos: platform.repos,
      dispositions: platform.services.dispositions,
      pii: platform.services.pii,
      scheduler: realScheduler,
      log: (err) => opts.log(`agent gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    },
    {},
  );
  gateway.start();
  let agents: SimulatedAgents | undefined;
  if (opts.simulatedAgents > 0) {
    const org = await platform.repos.users.firstOrganisation();
    const demo = org ? await platform.repos.org.listAgents(org.id) : [];
    const picked = demo
      .filter((a) => /^agent\d+$/.test(a.username))
      .sort((a, b) => b.username.localeCompare(a.username))
      .slice(0, opts.simulatedAgents);
    if (picked.length) {
      agents = new SimulatedAgents(dialer, realScheduler, () => 5000 + Math.random() * 10_000);
      agents.login(
        picked.map((a) => ({
          id: a.userId,
          orgId: org!.id,
          skills: Object.fromEntries(a.skills.map((s) => [s.code, s.level])),
        })),
      );
      opts.log(`simulated agents ready: ${picked.map((a) => a.username).join(', ')}`);
    }
  }
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void dialer
      .sync()
      .catch((err: unknown) => opts.log(`dialer: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (syncing = false));
  }, SYNC_MS);
  timer.unref();
  return {
    dialer,
    gateway,
    async stop() {
      clearInterval(timer);
      gateway.stop();
      agents?.dispose();
      // Calls in progress are cut by the shutdown; their attempts are closed at the next start.
      await dialer.stop();
    },
  };
}
