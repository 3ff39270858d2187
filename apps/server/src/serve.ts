import type { FastifyInstance } from 'fastify';
import { buildApp } from './http/app.ts';
import { defaultWebDir } from './http/web.ts';
import type { HttpContext } from './http/context.ts';
import type { Config } from './config.ts';
import { openPlatform, type Platform } from './platform.ts';
import { seedDemo } from './demo.ts';
import { startDialer, type RunningDialer } from './dialer.ts';
import { startWebhookDeliverer } from './webhooks.ts';
import type { ServerLogger } from './logger.ts';

export interface RunningServer {
  app: FastifyInstance;
  platform: Platform;
  url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  demo: boolean;
  /** The process's logger; Fastify, the dialer and everything below log through children of it. */
  logger: ServerLogger;
  /** What a person at the console must see whatever the log level (the demo password, shown once). */
  say?: (msg: string) => void;
  handleSignals?: boolean;
  /**
   * How long stopping waits for requests in flight (a slow upload, a client that stopped sending)
   * before it closes their connections (default 10 s).
   */
  closeGraceMs?: number;
}

/** Opens the platform, seeds the demo when asked, listens, and stops cleanly on SIGINT/SIGTERM. */
export async function serve(config: Readonly<Config>, opts: ServeOptions): Promise<RunningServer> {
  const log = opts.logger.child({ component: 'server' });
  const platform = await openPlatform(config, { logger: opts.logger });
  if (opts.demo) {
    const { seeded, password } = await seedDemo(platform, opts.logger.child({ component: 'demo' }));
    if (seeded) {
      log.info({}, 'demo organisation created. Users: admin, supervisor, qa, agent01 … agent20');
      if (config.demoPassword) log.info({}, 'demo password: the value of OUTDIAL_DEMO_PASSWORD');
      else {
        const shown = `demo password (shown once, write it down): ${password}`;
        if (opts.say) opts.say(shown);
        else log.warn({}, shown);
      }
    }
  }
  const background = new Set<Promise<unknown>>();
  const dialer: RunningDialer = await startDialer(platform, {
    simulatedAgents: opts.demo ? config.simulatedAgents : 0,
    logger: opts.logger,
  });
  const deliverer = startWebhookDeliverer(platform, {
    owner: platform.services.attempts.nodeId ?? 'node',
    logger: opts.logger,
  });
  const ctx: HttpContext = {
    config,
    services: platform.services,
    repos: platform.repos,
    background,
    dialer: dialer.dialer,
    gateway: dialer.gateway,
  };
  const webDir = defaultWebDir();
  if (!webDir) log.warn({}, 'the web app is not built (npm run build:web): only the API is served');
  const app = await buildApp(ctx, { logger: opts.logger.child({ component: 'http' }), webDir });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(
    { url, database: platform.db.kind },
    `Outdial is listening on ${url} — API docs at ${url}/api/docs, database: ${platform.db.kind === 'pglite' ? `embedded (${config.dataDir})` : 'PostgreSQL'}`,
  );
  const graceMs = opts.closeGraceMs ?? 10_000;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const closing = app.close();
      const grace = setTimeout(() => {
        log.warn({ graceMs }, 'requests still open when stopping: closing their connections');
        app.server.closeAllConnections();
      }, graceMs);
      await closing;
      clearTimeout(grace);
      await dialer.stop();
      await deliverer.stop();
      // Let running imports finish their current step; unfinished ones are failed at next start.
      await Promise.race([Promise.allSettled([...background]), new Promise((r) => setTimeout(r, 5000))]);
      await platform.close();
    })();
    return stopping;
  };
  if (opts.handleSignals) {
    // A stray rejection (a lost database connection in some corner) is logged, not fatal: the
    // dialer's calls in flight and the agents' sessions matter more than a clean stack.
    process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        log.info({ signal: sig }, `${sig}: stopping`);
        stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'the server did not stop cleanly');
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, platform, url, stop };
}
