import type { FastifyInstance } from 'fastify';
import { buildApp } from './http/app.ts';
import type { HttpContext } from './http/context.ts';
import type { Config } from './config.ts';
import { openPlatform, type Platform } from './platform.ts';
import { seedDemo } from './demo.ts';
import { startDialer, type RunningDialer } from './dialer.ts';

export interface RunningServer {
  app: FastifyInstance;
  platform: Platform;
  url: string;
  stop(): Promise<void>;
}

export interface ServeOptions {
  demo: boolean;
  log: (msg: string) => void;
  handleSignals?: boolean;
}

/** Opens the platform, seeds the demo when asked, listens, and stops cleanly on SIGINT/SIGTERM. */
export async function serve(config: Readonly<Config>, opts: ServeOptions): Promise<RunningServer> {
  const platform = await openPlatform(config, { log: opts.log });
  if (opts.demo) {
    const { seeded, password } = await seedDemo(platform, opts.log);
    if (seeded) {
      opts.log('demo organisation created. Users: admin, supervisor, qa, agent01 … agent20');
      opts.log(
        config.demoPassword
          ? 'password: the value of OUTDIAL_DEMO_PASSWORD'
          : `password (shown once, write it down): ${password}`,
      );
    }
  }
  const background = new Set<Promise<unknown>>();
  const dialer: RunningDialer = await startDialer(platform, {
    simulatedAgents: opts.demo ? config.simulatedAgents : 0,
    log: opts.log,
  });
  const ctx: HttpContext = {
    config,
    services: platform.services,
    repos: platform.repos,
    background,
    dialer: dialer.dialer,
    gateway: dialer.gateway,
  };
  const app = await buildApp(ctx, { logger: config.logLevel === 'silent' ? false : { level: config.logLevel } });
  const url = await app.listen({ host: config.host, port: config.port });
  opts.log(
    `Outdial is listening on ${url} — API docs at ${url}/api/docs, database: ${platform.db.kind === 'pglite' ? `embedded (${config.dataDir})` : 'PostgreSQL'}`,
  );
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await app.close();
      await dialer.stop();
      // Let running imports finish their current step; unfinished ones are failed at next start.
      await Promise.race([Promise.allSettled([...background]), new Promise((r) => setTimeout(r, 5000))]);
      await platform.close();
    })();
    return stopping;
  };
  if (opts.handleSignals) {
    // A stray rejection (a lost database connection in some corner) is logged, not fatal: the
    // dialer's calls in flight and the agents' sessions matter more than a clean stack.
    process.on('unhandledRejection', (err) =>
      opts.log(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        opts.log(`${sig}: stopping`);
        void stop().then(() => process.exit(0));
      });
    }
  }
  return { app, platform, url, stop };
}
