import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { campaigns } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

export const campaignRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...campaigns.createCampaign,
      handler: async (req, reply) => {
        const c = await ctx.services.campaigns.create(principalOf(req), {
          projectCode: req.body.project,
          name: req.body.name,
          settings: req.body.settings,
        });
        return reply.status(201).send(c);
      },
    });

    app.route({
      ...campaigns.listCampaigns,
      handler: async (req) => {
        const { items, total } = await ctx.services.campaigns.list(principalOf(req), {
          projectCode: req.query.project,
          status: req.query.status,
          ...toLimit(req.query),
        });
        return { items, total, page: req.query.page, pageSize: req.query.pageSize };
      },
    });

    app.route({
      ...campaigns.getCampaign,
      handler: async (req) => ctx.services.campaigns.get(principalOf(req), req.params.id),
    });

    app.route({
      ...campaigns.getCampaignSeries,
      handler: async (req) => ctx.services.campaigns.series(principalOf(req), req.params.id, req.query.hours),
    });

    app.route({
      ...campaigns.getCampaignStats,
      handler: async (req) => {
        const p = principalOf(req);
        return ctx.services.campaigns.stats(p, req.params.id, () => ctx.monitor.campaign(p, req.params.id));
      },
    });

    app.route({
      ...campaigns.updateCampaign,
      handler: async (req) => ctx.services.campaigns.configure(principalOf(req), req.params.id, req.body),
    });

    app.route({
      ...campaigns.actOnCampaign,
      handler: async (req) => ctx.services.campaigns.act(principalOf(req), req.params.id, req.params.action),
    });
  };
