import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { orders } from '@outdial/contracts';
import { principalOf, type RouteContext } from '../context.ts';
import { toLimit } from '../paging.ts';

/** The product catalogue and the orders taken on calls (落单). */
export const orderRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  (app) => {
    const svc = ctx.services.orders;
    app.route({
      ...orders.listProducts,
      handler: async (req) => ({ items: await svc.products(principalOf(req), req.params.code) }),
    });
    app.route({
      ...orders.createProduct,
      handler: async (req, reply) =>
        reply.status(201).send(await svc.createProduct(principalOf(req), req.params.code, req.body)),
    });
    app.route({
      ...orders.updateProduct,
      handler: async (req) => svc.updateProduct(principalOf(req), req.params.id, req.body),
    });
    app.route({
      ...orders.listOrders,
      handler: async (req) => {
        const r = await svc.list(principalOf(req), {
          projectCode: req.query.project,
          from: req.query.from ? new Date(req.query.from) : undefined,
          to: req.query.to ? new Date(req.query.to) : undefined,
          ...toLimit(req.query),
        });
        return { ...r, page: req.query.page, pageSize: req.query.pageSize };
      },
    });
    app.route({ ...orders.getOrder, handler: async (req) => svc.get(principalOf(req), req.params.id) });
    return Promise.resolve();
  };
