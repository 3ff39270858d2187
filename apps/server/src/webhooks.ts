import { WebhookDeliverer, realScheduler, type Logger, type WebhookTransport } from '@outdial/engine';
import type { Platform } from './platform.ts';

/** HTTP for webhooks: Node's fetch, with a deadline; a redirect is an answer, not followed (a receiver moved is a failure to see). */
export const fetchTransport: WebhookTransport = {
  async post(url, req) {
    const res = await fetch(url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const body = await res.text().catch(() => '');
    return { status: res.status, body };
  },
};

/** This node's webhook deliverer (every node runs one; leases keep them apart). */
export function startWebhookDeliverer(
  platform: Platform,
  opts: { owner: string; logger: Logger; transport?: WebhookTransport },
): WebhookDeliverer {
  const d = new WebhookDeliverer({
    repos: platform.repos,
    transport: opts.transport ?? fetchTransport,
    scheduler: realScheduler,
    owner: opts.owner,
    isAlive: (owner) => platform.repos.attempts.nodeAlive(owner),
    logger: opts.logger,
  });
  d.start();
  return d;
}
