import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { calls } from '@outdial/contracts';
import type { NextStep } from '@outdial/domain/compliance';
import { principalOf, type RouteContext } from '../context.ts';

const nextView = (n: NextStep) =>
  n.kind === 'closed' ? { kind: n.kind, reason: n.reason } : { kind: n.kind, at: new Date(n.at) };

/** Call attempts, dispositions (落单) and the dialer's agents, over REST (the WebSocket carries the same). */
export const callRoutes =
  (ctx: RouteContext): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...calls.getAttempt,
      handler: async (req) => ctx.services.dispositions.attempt(principalOf(req), req.params.id),
    });

    app.route({
      ...calls.recordDisposition,
      handler: async (req, reply) => {
        const b = req.body;
        const r = await ctx.services.dispositions.record(principalOf(req), req.params.id, {
          code: b.code,
          notes: b.notes,
          callbackAt: b.callbackAt ? new Date(b.callbackAt) : null,
          answers: b.answers,
          pause: b.pause,
        });
        return reply.status(201).send({ disposition: r.disposition, next: nextView(r.next), addedToDnc: r.addedToDnc });
      },
    });

    app.route({
      ...calls.listDialerAgents,
      handler: async (req) => ({ items: ctx.monitor.agents(principalOf(req)) }),
    });
  };
