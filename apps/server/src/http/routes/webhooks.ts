import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { webhooks } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

/** Webhooks (write-back): subscriptions, the delivery log, dead letters and redelivery. */
export const webhookRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  (app) => {
    const svc = ctx.services.webhooks;
    app.route({
      ...webhooks.createWebhook,
      handler: async (req, reply) => reply.status(201).send(await svc.create(principalOf(req), req.body)),
    });
    app.route({ ...webhooks.listWebhooks, handler: async (req) => ({ items: await svc.list(principalOf(req)) }) });
    app.route({ ...webhooks.getWebhook, handler: async (req) => svc.get(principalOf(req), req.params.id) });
    app.route({
      ...webhooks.updateWebhook,
      handler: async (req) => svc.update(principalOf(req), req.params.id, req.body),
    });
    app.route({
      ...webhooks.listWebhookMessages,
      handler: async (req) => {
        const r = await svc.messages(principalOf(req), {
          webhookId: req.query.webhook,
          status: req.query.status,
          ...toLimit(req.query),
        });
        return { ...r, page: req.query.page, pageSize: req.query.pageSize };
      },
    });
    app.route({
      ...webhooks.getWebhookMessage,
      handler: async (req) => svc.message(principalOf(req), req.params.id),
    });
    app.route({
      ...webhooks.redeliverWebhookMessage,
      handler: async (req, reply) => reply.status(202).send(await svc.redeliver(principalOf(req), req.params.id)),
    });
    return Promise.resolve();
  };
