import { AgentGateway, Dialer, SimulatedAgents, realScheduler, type Logger } from '@outdial/engine';
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
  opts: { simulatedAgents: number; logger: Logger },
): Promise<RunningDialer> {
  const log = opts.logger.child({ component: 'dialer' });
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
    logger: opts.logger,
  });
  const gateway = new AgentGateway(
    {
      dialer,
      repos: platform.repos,
      dispositions: platform.services.dispositions,
      pii: platform.services.pii,
      scheduler: realScheduler,
      logger: opts.logger,
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
      log.info({ agents: picked.map((a) => a.username) }, `simulated agents ready: ${picked.length}`);
    }
  }
  let syncing = false;
  const timer = setInterval(() => {
    if (syncing) return;
    syncing = true;
    void dialer
      .sync()
      .catch((err: unknown) => log.error({ err }, 'syncing with the campaigns table failed; tried again in 2 s'))
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
